export * from './mappers/index.ts'
export * from './stages.ts'
export * from './transform.ts'
