export * from './context.ts'
export * from './contract.ts'
export * from './mapper.ts'
