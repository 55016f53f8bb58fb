export * from './prometheus.ts'
