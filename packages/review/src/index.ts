export * from './model.ts'
export * from './render/format.ts'
export * from './render/html.ts'
