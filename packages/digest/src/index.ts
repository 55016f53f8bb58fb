export * from './build.ts'
export * from './deliver.ts'
export * from './render.ts'
export * from './schedule.ts'
