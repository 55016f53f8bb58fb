export * from './context.ts'
export * from './mapper.ts'
