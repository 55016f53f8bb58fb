export * from './import.ts'
export * from './parse.ts'
export * from './routes.ts'
export * from './validate.ts'
