import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { OrgpulseError } from '@orgpulse/contracts'

export interface ForwardAnswer {
  exitCode: number
  stdout: string
  stderr: string
}

/**
 * POSTs a command line to the running orgpulse that holds the data dir (`/internal/cli`) and
 * waits for its answer however long the command runs. Not `fetch`: its dispatcher (undici) gives
 * up after 300 s without response headers (headersTimeout) or between body chunks (bodyTimeout)
 * with a bare "fetch failed", and the instance answers only when the command is done (a whole
 * company's quarterly export at 10,000 people runs longer). `idleTimeoutMs` (default none) is
 * for tests: how long the socket may stay silent.
 */
export function forwardCommand(
  url: string,
  secret: string,
  body: { argv: string[]; cwd: string },
  options: { idleTimeoutMs?: number } = {},
): Promise<ForwardAnswer> {
  const target = new URL('/internal/cli', url)
  const payload = Buffer.from(JSON.stringify(body))
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          authorization: `Bearer ${secret}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const status = res.statusCode ?? 0
          if (status < 200 || status >= 300)
            return reject(
              new OrgpulseError(
                'upstream',
                `the running orgpulse at ${url} refused the command: ${status} ${text}`,
              ),
            )
          try {
            resolve(JSON.parse(text) as ForwardAnswer)
          } catch {
            reject(
              new OrgpulseError(
                'upstream',
                `the running orgpulse at ${url} answered with no result: ${text}`,
              ),
            )
          }
        })
      },
    )
    if (options.idleTimeoutMs)
      req.setTimeout(options.idleTimeoutMs, () =>
        req.destroy(
          new OrgpulseError(
            'upstream',
            `the running orgpulse at ${url} sent nothing for ${options.idleTimeoutMs} ms; the command may still be running there`,
          ),
        ),
      )
    req.on('error', (err) =>
      reject(
        err instanceof OrgpulseError
          ? err
          : new OrgpulseError('upstream', `could not reach the running orgpulse at ${url}: ${err.message}`),
      ),
    )
    req.end(payload)
  })
}
