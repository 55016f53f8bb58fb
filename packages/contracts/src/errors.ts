import { z } from 'zod'

/**
 * What went wrong, as the caller must act on it. Each edge maps a kind once: packages/http to an
 * HTTP status, services/cli to an exit code. A kind exists because some answer differs for it.
 */
export const errorKindSchema = z.enum([
  /** the request or the command line itself is wrong: fix it and retry */
  'invalid_input',
  /** it names something that does not exist, or that the caller may not learn exists */
  'not_found',
  /** the caller is known but may not do this */
  'forbidden',
  /** it clashes with what is already there (the data directory is held by a running instance) */
  'conflict',
  /** orgpulse.yaml or the environment does not say how to do this */
  'config',
  /** a system orgpulse calls (Jira, Linear, Google, Grafana, ClickHouse, Kafka) failed or refused */
  'upstream',
  /** orgpulse cannot serve this now but will (a stalled pipeline stage): retry later */
  'unavailable',
])
export type ErrorKind = z.infer<typeof errorKindSchema>
export const ERROR_KINDS: readonly ErrorKind[] = errorKindSchema.options

export interface OrgpulseErrorOptions {
  cause?: unknown
  /** structured facts for logs and machine readers; the message stays the sentence for people */
  details?: Record<string, unknown>
}

/** The base of every error orgpulse raises on purpose: its message is meant for the user. */
export class OrgpulseError extends Error {
  readonly details: Record<string, unknown> | undefined

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options: OrgpulseErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.details = options.details
  }
}

export const isOrgpulseError = (err: unknown): err is OrgpulseError => err instanceof OrgpulseError
