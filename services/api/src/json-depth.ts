import { Transform } from 'node:stream'
import { OrgpulseError } from '@orgpulse/contracts'
import type { FastifyInstance } from 'fastify'

/** deeper than any body the api's own routes take (a decision record nests a handful of levels) */
export const MAX_JSON_DEPTH = 64

export class JsonDepthError extends OrgpulseError {
  readonly statusCode = 400
  constructor(max: number) {
    super('invalid_input', `JSON body nested deeper than ${max} levels (arrays and objects count)`)
  }
}

/**
 * Tracks the nesting of arrays and objects across the chunks of a JSON text. A scan, not a
 * parse: the parser's proto-poisoning check recurses per level, and 10k levels overflowed the
 * stack into a 500.
 */
export class JsonDepthScanner {
  private depth = 0
  private inString = false
  private escaped = false
  constructor(private readonly max: number) {}

  /** false once the text nests deeper than `max` */
  push(chunk: Buffer): boolean {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!
      if (this.inString) {
        if (this.escaped) this.escaped = false
        else if (c === 0x5c) this.escaped = true
        else if (c === 0x22) this.inString = false
      } else if (c === 0x22) this.inString = true
      else if (c === 0x5b || c === 0x7b) {
        if (++this.depth > this.max) return false
      } else if (c === 0x5d || c === 0x7d) this.depth--
    }
    return true
  }
}

/**
 * Refuses JSON bodies nested deeper than `max` with 400 and the reason, before any parser sees
 * them: a preParsing stream, so it holds for every content-type parser, Fastify's default and the
 * ones plugins bring. The signed vendor webhooks (`skipPrefix`) are left alone: their shape is
 * the vendor's (Atlassian's document format nests deeply), and they check the signature first.
 */
export function registerJsonDepthLimit(
  app: FastifyInstance,
  options: { max?: number; skipPrefix?: string } = {},
): void {
  const max = options.max ?? MAX_JSON_DEPTH
  app.addHook('preParsing', async (req, _reply, payload) => {
    const type = req.headers['content-type'] ?? ''
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) return payload
    if (options.skipPrefix && req.url.startsWith(options.skipPrefix)) return payload
    const scanner = new JsonDepthScanner(max)
    let refused = false
    const checked = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        if (refused) return cb()
        if (scanner.push(chunk)) return cb(null, chunk)
        refused = true
        req.log.warn({ url: req.url }, `refused a JSON body nested deeper than ${max} levels`)
        cb(new JsonDepthError(max))
      },
    })
    // the body limit compares against what the client sent, as without this stream
    return payload.pipe(checked)
  })
}
