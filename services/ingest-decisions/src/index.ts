export * from './parse.ts'
export * from './validate.ts'
export * from './import.ts'
export * from './routes.ts'
