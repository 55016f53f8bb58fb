export * from './server.ts'
