import { createHash, randomBytes } from 'node:crypto'
import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { toClickHouseTime } from '@orgpulse/contracts'
import { TOKEN_COLUMNS, type TokenInfo, type TokenRow, toInfo } from './tokens.ts'

/**
 * Browser sessions (table `api_sessions`, migration 010). A session id is 32 random bytes in an
 * http-only cookie; only its sha256 is stored. A session belongs to one token and carries that
 * token's principal; the lookup joins the token on every request, so revoking the token ends its
 * sessions at once, and a session never outlives its server-side `expires_at` whatever the cookie
 * says.
 */
export const SESSION_COOKIE = 'orgpulse_session'
export const DEFAULT_SESSION_HOURS = 12

const SESSION_PREFIX = 'ops_'

const hashSession = (id: string): string => createHash('sha256').update(id, 'utf8').digest('hex')

export interface Session {
  /** the cookie value: the only copy of the secret */
  id: string
  expiresAt: Date
}

export async function createSession(
  client: ClickHouseClient,
  tokenId: string,
  ttlMs: number,
  now: Date = new Date(),
): Promise<Session> {
  const id = `${SESSION_PREFIX}${randomBytes(32).toString('base64url')}`
  const expiresAt = new Date(now.getTime() + ttlMs)
  await client.insert({
    table: 'api_sessions',
    values: [
      {
        session_hash: hashSession(id),
        token_id: tokenId,
        created_at: toClickHouseTime(now),
        expires_at: toClickHouseTime(expiresAt),
        ended_at: null,
        version: now.getTime(),
      },
    ],
    format: 'JSONEachRow',
    clickhouse_settings: { async_insert: 0 },
  })
  return { id, expiresAt }
}

/**
 * The token behind a live session (revoked or not: the caller refuses a revoked one), or null
 * when the id names no session, or one that ended or expired at `now`.
 */
export async function findSession(
  client: ClickHouseClient,
  id: string,
  now: Date = new Date(),
): Promise<{ token: TokenInfo; expiresAt: Date } | null> {
  if (!id.startsWith(SESSION_PREFIX)) return null
  const rows = await queryRows<TokenRow & { expires_ms: string }>(
    client,
    `SELECT ${TOKEN_COLUMNS}, s.expires_ms AS expires_ms
     FROM (SELECT token_id, toString(toUnixTimestamp64Milli(expires_at)) AS expires_ms, ended_at
           FROM api_sessions FINAL WHERE session_hash = {h:String}) AS s
     INNER JOIN (SELECT * FROM api_tokens FINAL) AS t ON t.id = s.token_id
     WHERE isNull(s.ended_at)`,
    { h: hashSession(id) },
  )
  const row = rows[0]
  if (!row) return null
  const expiresAt = new Date(Number(row.expires_ms))
  if (expiresAt.getTime() <= now.getTime()) return null
  return { token: toInfo(row), expiresAt }
}

/** Ends a session (logout): a newer version of its row with `ended_at`. Unknown ids are a no-op. */
export async function endSession(
  client: ClickHouseClient,
  id: string,
  now: Date = new Date(),
): Promise<void> {
  if (!id.startsWith(SESSION_PREFIX)) return
  const rows = await queryRows<{
    token_id: string
    created_at: string
    expires_at: string
    version: string
  }>(
    client,
    `SELECT token_id, toString(created_at) AS created_at, toString(expires_at) AS expires_at,
       toString(version) AS version
     FROM api_sessions FINAL WHERE session_hash = {h:String} AND isNull(ended_at)`,
    { h: hashSession(id) },
  )
  const row = rows[0]
  if (!row) return
  await client.insert({
    table: 'api_sessions',
    values: [
      {
        session_hash: hashSession(id),
        token_id: row.token_id,
        created_at: row.created_at,
        expires_at: row.expires_at,
        ended_at: toClickHouseTime(now),
        // strictly newer than the row it replaces, even within the same millisecond
        version: Math.max(now.getTime(), Number(row.version) + 1),
      },
    ],
    format: 'JSONEachRow',
    clickhouse_settings: { async_insert: 0 },
  })
}
