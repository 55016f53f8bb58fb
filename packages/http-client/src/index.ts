export { type Backoff, backoffMs, FULL_JITTER } from './backoff.ts'
export {
  type BudgetWait,
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  type RequestOptions,
  type RetryInfo,
  type RetryPolicy,
  redactUrl,
} from './client.ts'
export { HttpRetryError, type RetryGiveUp } from './errors.ts'
export { type BudgetReading, PointsBudget } from './points-budget.ts'
export type { HttpResponse } from './response.ts'
export { parseRetryAfter } from './retry-after.ts'
