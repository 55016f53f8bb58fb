import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

// biome-ignore lint/suspicious/noExplicitAny: Slack payloads as received, before they are checked
type Json = any

/**
 * A local Slack incoming webhook (https://api.slack.com/messaging/webhooks): POST JSON with
 * `text` and Block Kit `blocks`; answers 200 `ok`, 400 `invalid_blocks` when the blocks break
 * the rules of https://api.slack.com/reference/block-kit/blocks (at most 50 blocks; header:
 * plain_text up to 150 characters; section: text up to 3000 characters; context: up to 10
 * elements), 429 with Retry-After when told to (https://api.slack.com/apis/rate-limits).
 */
export interface SlackFake {
  url: string
  /** path → the payloads accepted there */
  received: Map<string, { text: string; blocks: Record<string, Json>[] }[]>
  /** requests answered, rejections and 429s included */
  requests: number
  /** answer the next n requests with 429 */
  rateLimitNext(n: number): void
  close(): Promise<void>
}

export function blockProblems(body: Json): string[] {
  const problems: string[] = []
  if (typeof body?.text !== 'string' || body.text === '') problems.push('text missing')
  const blocks = body?.blocks
  if (!Array.isArray(blocks) || blocks.length === 0) return [...problems, 'blocks missing']
  if (blocks.length > 50) problems.push(`${blocks.length} blocks (max 50)`)
  for (const [i, b] of blocks.entries()) {
    if (b.type === 'header') {
      if (b.text?.type !== 'plain_text' || typeof b.text.text !== 'string') problems.push(`${i}: header text`)
      else if (b.text.text.length > 150) problems.push(`${i}: header over 150`)
    } else if (b.type === 'section') {
      if (!['mrkdwn', 'plain_text'].includes(b.text?.type)) problems.push(`${i}: section text type`)
      else if (b.text.text.length > 3000 || b.text.text.length === 0)
        problems.push(`${i}: section text length`)
    } else if (b.type === 'context') {
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10)
        problems.push(`${i}: context elements`)
    } else problems.push(`${i}: unexpected block type ${b.type}`)
  }
  return problems
}

const read = async (req: IncomingMessage) => {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startSlackFake(): Promise<SlackFake> {
  const received = new Map<string, { text: string; blocks: Record<string, Json>[] }[]>()
  let limited = 0
  let requests = 0
  const server: Server = createServer(async (req, res) => {
    requests++
    const body = await read(req)
    if (limited > 0) {
      limited--
      res.writeHead(429, { 'retry-after': '0', 'content-type': 'text/plain' }).end('rate_limited')
      return
    }
    let json: Json
    try {
      json = JSON.parse(body)
    } catch {
      res.writeHead(400).end('invalid_payload')
      return
    }
    if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/json')) {
      res.writeHead(400).end('invalid_payload')
      return
    }
    if (blockProblems(json).length > 0) {
      res.writeHead(400).end('invalid_blocks')
      return
    }
    const list = received.get(req.url ?? '/') ?? []
    list.push(json)
    received.set(req.url ?? '/', list)
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get requests() {
      return requests
    },
    rateLimitNext(n) {
      limited = n
    },
    close: () => new Promise((r) => server.close(() => r())),
  }
}

/** An SMTP relay (the smtp-server package as the receiving side), each message parsed by mailparser. */
export interface SmtpFake {
  url: string
  messages: ParsedMail[]
  close(): Promise<void>
}

export async function startSmtpFake(): Promise<SmtpFake> {
  const messages: ParsedMail[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((m) => {
          messages.push(m)
          callback()
        })
        .catch(callback)
    },
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    close: () => new Promise((r) => server.close(() => r())),
  }
}

/** A generic webhook receiver: accepts JSON POSTs, answers 503 when told to. */
export async function startHookFake(): Promise<{
  url: string
  received: unknown[]
  readonly requests: number
  failNext(n: number): void
  close(): Promise<void>
}> {
  const received: unknown[] = []
  let failing = 0
  let requests = 0
  const server = createServer(async (req, res) => {
    requests++
    const body = await read(req)
    if (failing > 0) {
      failing--
      res.writeHead(503).end('unavailable')
      return
    }
    received.push(JSON.parse(body))
    res.writeHead(204).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    get requests() {
      return requests
    },
    failNext(n) {
      failing = n
    },
    close: () => new Promise((r) => server.close(() => r())),
  }
}
