export * from './model.ts'
export * from './seed.ts'
export { type FakeLimits, type FakeLinear, type FakeLinearOptions, type FakeRequestLog, type Failure, MAX_QUERY_COMPLEXITY, type SignedWebhook, signWebhook, startFakeLinear } from './server.ts'
