import type { DlqRecord, RawEnvelope } from '@orgpulse/contracts'
import type { FastifyInstance } from 'fastify'
import { decisionEnvelope, edgeDeadLetter } from './import.ts'
import { checkRecord } from './validate.ts'

export const MAX_RECORDS_PER_REQUEST = 1000
export const MAX_BODY_BYTES = 4 * 1024 * 1024

export interface DecisionRoutesOptions {
  /** resolves once the records are acknowledged by the bus */
  publish(envelopes: RawEnvelope[]): Promise<void>
  /**
   * dead-letters the refused records of a 400 (`orgpulse dlq list` shows what clients were
   * refused and why); a failure here is logged, never turned into another answer than the 400
   */
  deadLetter?(records: DlqRecord[]): Promise<void>
}

/**
 * POST /v1/decisions: one record or an array of up to 1,000. All-or-nothing: any invalid record
 * rejects the whole request with every error listed; 202 means Kafka acknowledged every record.
 */
export async function decisionIngestRoutes(
  app: FastifyInstance,
  options: DecisionRoutesOptions,
): Promise<void> {
  app.post(
    '/v1/decisions',
    {
      bodyLimit: MAX_BODY_BYTES,
      schema: {
        operationId: 'submitDecisions',
        summary: 'Submit decision records',
        description: `One decision record or an array of up to ${MAX_RECORDS_PER_REQUEST} (fields: see the decision record in the README). All or nothing: one invalid record refuses the whole request, every error listed, and the refused records are dead-lettered.`,
        tags: ['decisions'],
        body: { anyOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] },
        response: {
          202: {
            description: 'every record acknowledged by the bus',
            type: 'object',
            required: ['accepted', 'ids'],
            properties: { accepted: { type: 'integer' }, ids: { type: 'array', items: { type: 'string' } } },
          },
          400: {
            description: 'an empty array, a body that is not records, or invalid records (nothing accepted)',
            type: 'object',
            required: ['error'],
            properties: {
              error: { type: 'string' },
              records: {
                type: 'array',
                description:
                  'the invalid records: their index in the request, their id if any, what is wrong',
                items: {
                  type: 'object',
                  required: ['index', 'errors'],
                  properties: {
                    index: { type: 'integer' },
                    id: { type: 'string' },
                    errors: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
            },
            // fastify's own 400s (unparsable JSON, a body failing the schema above) add fields
            additionalProperties: true,
          },
          413: {
            description: `more than ${MAX_RECORDS_PER_REQUEST} records, or a body over ${MAX_BODY_BYTES / 1024 / 1024} MiB`,
            type: 'object',
            required: ['error'],
            properties: { error: { type: 'string' } },
            additionalProperties: true,
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body
      const items: unknown[] = Array.isArray(body) ? body : [body]
      if (items.length === 0)
        return reply.code(400).send({ error: 'empty array: send at least one decision record' })
      if (items.length > MAX_RECORDS_PER_REQUEST) {
        return reply.code(413).send({
          error: `too many records: ${items.length} > ${MAX_RECORDS_PER_REQUEST} per request; split the batch`,
        })
      }
      const errors: { index: number; id?: string; errors: string[] }[] = []
      const envelopes: RawEnvelope[] = []
      items.forEach((item, index) => {
        const checked = checkRecord(item)
        if (checked.ok) envelopes.push(decisionEnvelope(item as Record<string, unknown>, { via: 'api' }))
        else {
          const id =
            typeof (item as { id?: unknown })?.id === 'string' ? (item as { id: string }).id : undefined
          errors.push({ index, ...(id ? { id } : {}), errors: checked.errors })
        }
      })
      if (errors.length > 0) {
        if (options.deadLetter) {
          // unique across requests and restarts: the DLQ row's id is a hash of topic and offset
          const at = `${new Date().toISOString()} ${request.id}`
          const dead = errors.map((e) =>
            edgeDeadLetter({
              topic: 'api:/v1/decisions',
              offset: `${at}#${e.index}`,
              key: e.id ?? null,
              record: items[e.index],
              errors: e.errors,
            }),
          )
          await options
            .deadLetter(dead)
            .catch((err: Error) =>
              request.log.warn({ err: err.message }, 'could not dead-letter the refused records'),
            )
        }
        return reply.code(400).send({
          error: `${errors.length} of ${items.length} records are invalid; nothing was accepted`,
          records: errors,
        })
      }
      await options.publish(envelopes)
      return reply.code(202).send({ accepted: envelopes.length, ids: envelopes.map((e) => e.sourceId) })
    },
  )
}
