export * from './prometheus.ts'
export * from './stage-metrics.ts'
export * from './process.ts'
