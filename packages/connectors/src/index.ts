export * from './pull-rounds.ts'
export * from './registry.ts'
export * from './service.ts'
