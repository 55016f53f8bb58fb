export * from './transform.ts'
export * from './stages.ts'
export * from './mappers/index.ts'
