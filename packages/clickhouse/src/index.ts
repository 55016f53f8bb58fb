export * from './client.ts'
export * from './migrate.ts'
export * from './facts.ts'
export * from './cursors.ts'
