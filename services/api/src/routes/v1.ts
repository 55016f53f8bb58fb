import type { FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { V1Options } from './context.ts'
import { decisionLogRoutes } from './decisions.ts'
import { exportRoutes } from './exports.ts'
import { identityRoutes } from './identities.ts'
import { orgRoutes } from './orgs.ts'
import { reviewRoutes } from './review.ts'

/**
 * The read api (/v1/orgs…, /v1/identities…). Zod compilers are set in this encapsulated context
 * only: routes registered elsewhere (the decision ingest route, pages) keep their JSON schemas.
 */
export async function v1Routes(app: FastifyInstance, options: V1Options): Promise<void> {
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  const zapp = app.withTypeProvider<ZodTypeProvider>()
  orgRoutes(zapp, options)
  decisionLogRoutes(zapp, options)
  exportRoutes(zapp, options)
  reviewRoutes(zapp, options)
  identityRoutes(zapp, options)
}
