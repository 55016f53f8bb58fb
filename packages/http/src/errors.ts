import { STATUS_CODES } from 'node:http'
import { type ErrorKind, isOrgpulseError } from '@orgpulse/contracts'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** The one kind → HTTP status table (the CLI's exit codes are services/cli/src/exit-codes.ts). */
export const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  invalid_input: 400,
  forbidden: 403,
  // also what a caller outside an org is told, so a scoped token cannot probe which orgs exist
  not_found: 404,
  conflict: 409,
  // a server that cannot read its own configuration is the operator's problem, not the client's
  config: 500,
  upstream: 502,
  unavailable: 503,
}

/** the error body the OpenAPI document declares (services/api openapi.ts errorResponse) */
export interface ErrorBody {
  error: string
  message?: string
  statusCode?: number
}

const INTERNAL: ErrorBody = { error: 'internal error (see the server log)' }

/**
 * The status and body for anything a route throws. A 4xx says in `error` what the client must
 * fix; a 5xx the client is told about (upstream, unavailable) keeps Fastify's shape, the reason
 * phrase in `error` and the detail in `message`; anything else is a 500 that says only "see the
 * log", since its message was never meant for the client.
 */
export function errorReply(err: unknown): { status: number; body: ErrorBody; log: boolean } {
  if (isOrgpulseError(err)) {
    const status = HTTP_STATUS[err.kind]
    if (status < 500) return { status, body: { error: err.message }, log: false }
    if (status === 500) return { status, body: INTERNAL, log: true }
    return {
      status,
      body: { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: err.message },
      log: true,
    }
  }
  const e = err as Partial<FastifyError>
  // a route's schema refused the request: zod's and ajv's issues both carry a path and a message
  if (Array.isArray(e.validation) && e.validation.length > 0) {
    const detail = e.validation.map((v) => `${v.instancePath || '(root)'} ${v.message}`).join('; ')
    return {
      status: 400,
      body: { error: `invalid ${e.validationContext ?? 'request'}: ${detail}` },
      log: false,
    }
  }
  // Fastify's own refusals and its plugins' (unreadable JSON, body too large, the rate limiter)
  if (e.statusCode && e.statusCode < 500)
    return {
      status: e.statusCode,
      body: { error: e.message ?? STATUS_CODES[e.statusCode] ?? 'Error', statusCode: e.statusCode },
      log: false,
    }
  return { status: 500, body: INTERNAL, log: true }
}

/** Every fastify app's error handler: errors answer by kind (errorReply), 5xx are logged. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body, log } = errorReply(err)
    if (log) req.log.error({ err }, 'request failed')
    return reply.code(status).send(body)
  })
}
