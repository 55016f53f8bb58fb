export * from './model.ts'
export { LINEAR_SDL } from './schema.ts'
export * from './seed.ts'
export {
  type Failure,
  type FakeLimits,
  type FakeLinear,
  type FakeLinearOptions,
  type FakeRequestLog,
  MAX_QUERY_COMPLEXITY,
  type SignedWebhook,
  signWebhook,
  startFakeLinear,
} from './server.ts'
