import { MetricsQueryError } from '@orgpulse/metrics'
import { OrgLookupError } from '@orgpulse/org'
import type { FastifyError, FastifyInstance } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { QuarterError } from '../exports/quarter.ts'
import { NotFoundError } from '../queries/scope.ts'

export class BadRequestError extends Error {
  readonly status = 400
}
export class ForbiddenError extends Error {
  readonly status = 403
}

/** Domain errors → `{error}` with their status; anything unexpected → 500 and a log line. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const detail = err.validation.map((v) => `${v.instancePath || '(root)'} ${v.message}`).join('; ')
      return reply.code(400).send({ error: `invalid ${err.validationContext ?? 'request'}: ${detail}` })
    }
    if (err instanceof NotFoundError || err instanceof OrgLookupError)
      return reply.code(404).send({ error: err.message })
    if (err instanceof MetricsQueryError) return reply.code(err.status).send({ error: err.message })
    if (err instanceof BadRequestError || err instanceof QuarterError)
      return reply.code(400).send({ error: err.message })
    if (err instanceof ForbiddenError) return reply.code(403).send({ error: err.message })
    if (err.statusCode && err.statusCode < 500)
      return reply.code(err.statusCode).send({ error: err.message, statusCode: err.statusCode })
    req.log.error({ err }, 'request failed')
    return reply.code(500).send({ error: 'internal error (see the server log)' })
  })
}
