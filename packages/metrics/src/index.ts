export * from './types.ts'
export * from './catalog.ts'
export * from './compute.ts'
export * from './sql.ts'
