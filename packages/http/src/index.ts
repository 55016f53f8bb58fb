export * from './errors.ts'
export * from './process.ts'
export * from './prometheus.ts'
export * from './stage-metrics.ts'
