import { createSign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { formatIssues, type NamedEnv, OrgpulseError } from '@orgpulse/contracts'
import { createHttpClient, type HttpClient, HttpRetryError } from '@orgpulse/http-client'
import { z } from 'zod'

/** The fields of a Google service-account key file the connector uses. */
export const serviceAccountKeySchema = z.object({
  type: z.literal('service_account'),
  client_email: z.string().min(1),
  private_key: z.string().min(1),
  token_uri: z.url().default('https://oauth2.googleapis.com/token'),
})
export type ServiceAccountKey = z.infer<typeof serviceAccountKeySchema>

export const CALENDAR_READONLY_SCOPE = 'https://www.googleapis.com/auth/calendar.readonly'

/** a missing or broken key is `config`; Google refusing a token for a good key is `upstream` */
export class GoogleAuthError extends OrgpulseError {
  constructor(message: string, kind: 'config' | 'upstream' = 'config') {
    super(kind, message)
  }
}

/** Reads the key from the named environment variable: the JSON itself, or a path to the key file. */
export function loadServiceAccountKey(envName: string, env: NamedEnv): ServiceAccountKey {
  const raw = env.named(envName)
  if (!raw || raw.trim() === '') {
    throw new GoogleAuthError(
      `${envName} is not set: put the Google service-account key JSON (or the path to the key file) in it; the account needs domain-wide delegation for ${CALENDAR_READONLY_SCOPE}`,
    )
  }
  let text = raw.trim()
  if (!text.startsWith('{')) {
    try {
      text = readFileSync(text, 'utf8')
    } catch (err) {
      throw new GoogleAuthError(
        `${envName} is neither key JSON nor a readable key file: ${(err as Error).message}`,
      )
    }
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new GoogleAuthError(`${envName} does not hold valid JSON: ${(err as Error).message}`)
  }
  const parsed = serviceAccountKeySchema.safeParse(json)
  if (!parsed.success) {
    throw new GoogleAuthError(
      `${envName} is not a service-account key: ${formatIssues(parsed.error).join('; ')}`,
    )
  }
  return parsed.data
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url')

/**
 * OAuth 2.0 for service accounts with domain-wide delegation: a JWT signed with the account's key
 * (RS256), `sub` = the user to act as, exchanged at the key's token URI for an access token.
 * Tokens are cached per subject until shortly before they expire.
 */
export class ServiceAccountTokens {
  private readonly cache = new Map<string, { token: string; expiresAt: number }>()
  private readonly http: HttpClient

  constructor(
    private readonly key: ServiceAccountKey,
    private readonly scope = CALENDAR_READONLY_SCOPE,
    fetchImpl: typeof fetch = fetch,
  ) {
    this.http = createHttpClient({
      baseUrl: key.token_uri,
      // an exchange grants a token and changes nothing: safe to send again
      retry: { maxAttempts: 3, retryPost: true },
      fetch: fetchImpl,
    })
  }

  async tokenFor(subject: string): Promise<string> {
    const cached = this.cache.get(subject)
    if (cached && cached.expiresAt - 60_000 > Date.now()) return cached.token
    const iat = Math.floor(Date.now() / 1000)
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))
    const claims = b64url(
      JSON.stringify({
        iss: this.key.client_email,
        sub: subject,
        scope: this.scope,
        aud: this.key.token_uri,
        iat,
        exp: iat + 3600,
      }),
    )
    const signer = createSign('RSA-SHA256')
    signer.update(`${header}.${claims}`)
    const assertion = `${header}.${claims}.${b64url(signer.sign(this.key.private_key))}`
    const res = await this.http
      .request('POST', '', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion,
        }).toString(),
      })
      // retries spent on 429/5xx: the last answer says why
      .catch((err: unknown) => {
        if (err instanceof HttpRetryError && err.response) return err.response
        throw err
      })
    const body = (res.json() ?? {}) as {
      access_token?: string
      expires_in?: number
      error?: string
      error_description?: string
    }
    if (!res.ok || !body.access_token) {
      const why = body.error
        ? `${body.error}${body.error_description ? `: ${body.error_description}` : ''}`
        : `HTTP ${res.status}`
      const hint =
        body.error === 'unauthorized_client'
          ? ` – grant the service account ${this.key.client_email} domain-wide delegation for ${this.scope} in the Workspace admin console`
          : body.error === 'invalid_grant'
            ? ` – is ${subject} a user of the Workspace domain?`
            : ''
      throw new GoogleAuthError(
        `Google refused a token for ${subject} (service account ${this.key.client_email}): ${why}${hint}`,
        'upstream',
      )
    }
    this.cache.set(subject, {
      token: body.access_token,
      expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
    })
    return body.access_token
  }

  /** forget a subject's token (after a 401: it was revoked or expired early) */
  invalidate(subject: string): void {
    this.cache.delete(subject)
  }
}
