export * from './port.ts'
export * from './memory-bus.ts'
export * from './stage.ts'
export * from './publish.ts'
