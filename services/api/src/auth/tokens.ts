import { createHash, randomBytes } from 'node:crypto'
import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { OrgpulseError, toClickHouseTime } from '@orgpulse/contracts'
import { OrgLookupError, orgTree } from '@orgpulse/org'
import { z } from 'zod'

/**
 * Bearer tokens for the api (table `api_tokens`, migration 004). A token is 32 random bytes;
 * only its sha256 is stored, so a leaked table does not leak usable tokens, and the plain token
 * is shown exactly once, by `create`.
 */
export const tokenScopeSchema = z.enum(['read', 'write:decisions', 'admin'])
export type TokenScope = z.infer<typeof tokenScopeSchema>
/** the scopes bound to one director's org (every scope but admin) */
export type OrgScope = Exclude<TokenScope, 'admin'>

/**
 * Rows written before scopes existed say 'org': those tokens could only ever read, so they keep
 * exactly that (no migration: the column is a string, and rewriting rows would bump versions).
 */
const storedScope = (raw: string): TokenScope => tokenScopeSchema.parse(raw === 'org' ? 'read' : raw)

export const tokenInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  scope: tokenScopeSchema,
  /** the director whose org subtree the token may read or write ('' for admin tokens) */
  org: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
})
export type TokenInfo = z.infer<typeof tokenInfoSchema>

export class TokenError extends OrgpulseError {
  constructor(message: string, kind: 'invalid_input' | 'not_found' = 'invalid_input') {
    super(kind, message)
  }
}

const TOKEN_PREFIX = 'opt_'

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex')

/** a row of `api_tokens FINAL` as SELECT_TOKENS reads it (also joined by the session lookup) */
export interface TokenRow {
  id: string
  name: string
  scope: string
  org: string
  created_at: string
  revoked_at: string | null
  version: string
}

export const toInfo = (r: TokenRow): TokenInfo => ({
  id: r.id,
  name: r.name,
  scope: storedScope(r.scope),
  org: r.org,
  createdAt: `${r.created_at.replace(' ', 'T')}Z`,
  revokedAt: r.revoked_at ? `${r.revoked_at.replace(' ', 'T')}Z` : null,
})

/** the token columns `toInfo` reads, from `api_tokens FINAL` */
export const TOKEN_COLUMNS = `id, name, scope, org, toString(created_at) AS created_at,
  if(isNull(revoked_at), NULL, toString(revoked_at)) AS revoked_at, toString(version) AS version`

const SELECT_TOKENS = `SELECT ${TOKEN_COLUMNS} FROM api_tokens FINAL`

export interface CreateTokenInput {
  /** 'org' is the pre-scope spelling of 'read' */
  scope: TokenScope | 'org'
  /** required for every scope but admin: the director's email */
  org?: string
  name?: string
}

/**
 * A token for an org nobody leads would read nothing today and, once someone with that email is
 * imported, read their org without anyone having decided so: the email must name a manager in
 * the current org (the same lookup the org routes make).
 */
async function assertLeadsAnOrg(client: ClickHouseClient, email: string): Promise<void> {
  try {
    await orgTree(client, email)
  } catch (err) {
    if (!(err instanceof OrgLookupError)) throw err
    throw new TokenError(
      `--org ${email} does not name a director or manager in the current org: ${err.message} (see \`orgpulse org directors\`)`,
    )
  }
}

/** Creates a token; the returned `token` is the only copy of the secret. */
export async function createToken(
  client: ClickHouseClient,
  input: CreateTokenInput,
): Promise<{ token: string; info: TokenInfo }> {
  const parsed = tokenScopeSchema.safeParse(input.scope === 'org' ? 'read' : input.scope)
  if (!parsed.success)
    throw new TokenError(
      `unknown token scope ${JSON.stringify(input.scope)}: use read, write:decisions or admin`,
    )
  const scope = parsed.data
  const org = scope === 'admin' ? '' : (input.org ?? '').trim().toLowerCase()
  if (scope !== 'admin' && !org.includes('@'))
    throw new TokenError(`a ${scope} token needs the director's email (--org EMAIL)`)
  if (scope !== 'admin') await assertLeadsAnOrg(client, org)
  const id = `tok_${randomBytes(6).toString('hex')}`
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
  const now = new Date()
  const name = input.name?.trim() || (scope === 'admin' ? 'admin' : org)
  await client.insert({
    table: 'api_tokens',
    values: [
      {
        id,
        name,
        scope,
        org,
        token_hash: hashToken(token),
        created_at: toClickHouseTime(now),
        revoked_at: null,
        version: now.getTime(),
      },
    ],
    format: 'JSONEachRow',
    clickhouse_settings: { async_insert: 0 },
  })
  return { token, info: { id, name, scope, org, createdAt: now.toISOString(), revokedAt: null } }
}

export async function listTokens(client: ClickHouseClient): Promise<TokenInfo[]> {
  const rows = await queryRows<TokenRow>(client, `${SELECT_TOKENS} ORDER BY created_at, id`)
  return rows.map(toInfo)
}

/** Revokes a token by id; revoking twice is a no-op that reports the first revocation. */
export async function revokeToken(client: ClickHouseClient, id: string): Promise<TokenInfo> {
  const rows = await queryRows<TokenRow & { token_hash: string }>(
    client,
    `SELECT id, name, scope, org, token_hash, toString(created_at) AS created_at,
       if(isNull(revoked_at), NULL, toString(revoked_at)) AS revoked_at, toString(version) AS version
     FROM api_tokens FINAL WHERE id = {id:String}`,
    { id },
  )
  const row = rows[0]
  if (!row) throw new TokenError(`no token with id ${id} (see \`orgpulse tokens list\`)`, 'not_found')
  if (row.revoked_at) return toInfo(row)
  const now = new Date()
  await client.insert({
    table: 'api_tokens',
    values: [
      {
        id: row.id,
        name: row.name,
        scope: row.scope,
        org: row.org,
        token_hash: row.token_hash,
        created_at: row.created_at,
        revoked_at: toClickHouseTime(now),
        // strictly newer than the row it replaces, even within the same millisecond
        version: Math.max(now.getTime(), Number(row.version) + 1),
      },
    ],
    format: 'JSONEachRow',
    clickhouse_settings: { async_insert: 0 },
  })
  return { ...toInfo(row), revokedAt: now.toISOString() }
}

/** The token presented, if it exists (revoked or not). */
export async function findToken(client: ClickHouseClient, token: string): Promise<TokenInfo | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null
  const rows = await queryRows<TokenRow>(client, `${SELECT_TOKENS} WHERE token_hash = {h:String}`, {
    h: hashToken(token),
  })
  return rows[0] ? toInfo(rows[0]) : null
}

/** Tokens ever created, revoked ones included: the 'auto' auth mode stays open only while this is 0. */
export async function tokenCount(client: ClickHouseClient): Promise<number> {
  const rows = await queryRows<{ n: string }>(client, 'SELECT count() AS n FROM api_tokens FINAL')
  return Number(rows[0]?.n ?? 0)
}
