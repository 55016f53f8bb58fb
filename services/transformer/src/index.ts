export * from './stages.ts'
export * from './transform.ts'
