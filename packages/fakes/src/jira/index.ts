export { JqlError, parseJql, parseJqlDate } from './jql.ts'
export * from './server.ts'
