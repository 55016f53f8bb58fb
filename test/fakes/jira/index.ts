export * from './server.ts'
export { parseJql, parseJqlDate, JqlError } from './jql.ts'
