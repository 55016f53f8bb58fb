import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { FastifyRequest } from 'fastify'
import { tokenCount } from './tokens.ts'

const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/** `localhost`, `127.0.0.1` or `[::1]`, with or without a port (RFC 9110 §7.2: host[:port]). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false
  const m = /^(\[[0-9a-f:.]+\]|[^:]+)(?::\d{1,5})?$/i.exec(host.trim())
  return m !== null && LOOPBACK_HOSTS.has(m[1]!.toLowerCase())
}

export type LocalAccess = { ok: true } | { ok: false; status: 401 | 403; reason: string }

/**
 * Whether a request without a token may act as the local admin ('auto' mode, before any token).
 * Three conditions, each closing a hole:
 * - the peer is on the loopback interface (remote callers always need a token);
 * - the Host header names loopback too: a page on evil.example whose DNS name was rebound to
 *   127.0.0.1 reaches the same socket, but its browser still sends `Host: evil.example`;
 * - no token was ever created, revoked ones included: revoking the last token must not turn the
 *   api back into "everyone on this machine is admin" (an operator who revoked a leaked token
 *   expects less access, not more).
 */
export async function localAccess(client: ClickHouseClient, req: FastifyRequest): Promise<LocalAccess> {
  if (!LOOPBACK_ADDRESSES.has(req.socket.remoteAddress ?? ''))
    return { ok: false, status: 401, reason: 'remote callers need a token' }
  if ((await tokenCount(client)) > 0)
    return { ok: false, status: 401, reason: 'tokens exist (revoked ones count): every request needs one' }
  if (!isLoopbackHost(req.headers.host))
    return {
      ok: false,
      status: 403,
      reason: `Host "${req.headers.host ?? ''}" is not localhost, 127.0.0.1 or [::1]: without a token only loopback names are served (a rebound DNS name could otherwise read everything); call http://127.0.0.1:PORT or create a token`,
    }
  return { ok: true }
}
