import { OrgpulseError } from '@orgpulse/contracts'
import type { HttpResponse } from './response.ts'

export type RetryGiveUp =
  /** every attempt failed with a retryable status */
  | 'attempts'
  /** every attempt failed to reach the server */
  | 'network'
  /** the server asked (Retry-After) to wait longer than the client may */
  | 'retry-after'

/**
 * The retry budget is spent. Connectors turn it into their own error class; the message alone
 * says what was tried, where, how often, and what came back last.
 */
export class HttpRetryError extends OrgpulseError {
  constructor(
    message: string,
    readonly method: string,
    /** without credentials */
    readonly url: string,
    readonly attempts: number,
    readonly reason: RetryGiveUp,
    /** the last response, absent when the server was never reached */
    readonly response?: HttpResponse,
    readonly retryAfterMs: number | null = null,
    options?: { cause?: unknown },
  ) {
    super('upstream', message, options)
  }

  get status(): number | 'network' {
    return this.response?.status ?? 'network'
  }
}
