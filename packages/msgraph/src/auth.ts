import { createHash, createPrivateKey, createSign, randomUUID, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { type NamedEnv, OrgpulseError } from '@orgpulse/contracts'
import { createHttpClient, type HttpClient, HttpRetryError } from '@orgpulse/http-client'

export const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default'

/** The environment variables of the app registration (declared in @orgpulse/contracts env.ts). */
export const MSGRAPH_ENV = {
  tenant: 'MSGRAPH_TENANT_ID',
  client: 'MSGRAPH_CLIENT_ID',
  secret: 'MSGRAPH_CLIENT_SECRET',
  certificate: 'MSGRAPH_CLIENT_CERTIFICATE',
} as const

export type GraphCredential =
  | { kind: 'secret'; secret: string }
  | { kind: 'certificate'; privateKeyPem: string; certificate: X509Certificate }

export interface GraphApp {
  tenantId: string
  clientId: string
  credential: GraphCredential
}

/** missing or unreadable credentials are `config`; the identity platform refusing them is `upstream` */
export class GraphAuthError extends OrgpulseError {
  constructor(message: string, kind: 'config' | 'upstream' = 'config') {
    super(kind, message)
  }
}

const blank = (v: string | undefined): boolean => v === undefined || v.trim() === ''

/**
 * The app registration from the environment: tenant id, client id, and a client secret or a
 * certificate (PEM with the private key and the certificate, or the path of such a file). A
 * certificate wins when both are set: it is the credential Microsoft recommends for daemons.
 */
export function loadGraphApp(env: NamedEnv): GraphApp {
  const tenantId = env.named(MSGRAPH_ENV.tenant)?.trim()
  const clientId = env.named(MSGRAPH_ENV.client)?.trim()
  const secret = env.named(MSGRAPH_ENV.secret)
  const certificate = env.named(MSGRAPH_ENV.certificate)
  const missing = [
    ...(blank(tenantId) ? [MSGRAPH_ENV.tenant] : []),
    ...(blank(clientId) ? [MSGRAPH_ENV.client] : []),
    ...(blank(secret) && blank(certificate) ? [`${MSGRAPH_ENV.secret} or ${MSGRAPH_ENV.certificate}`] : []),
  ]
  if (missing.length > 0) {
    throw new GraphAuthError(
      `Microsoft 365 calendars need an Entra ID app registration with the application permission Calendars.Read (admin consent granted): set ${missing.join(', ')}`,
    )
  }
  if (!blank(certificate)) {
    return {
      tenantId: tenantId as string,
      clientId: clientId as string,
      credential: readCertificate(certificate as string),
    }
  }
  return {
    tenantId: tenantId as string,
    clientId: clientId as string,
    credential: { kind: 'secret', secret: secret as string },
  }
}

function readCertificate(raw: string): GraphCredential {
  let pem = raw.trim()
  if (!pem.includes('-----BEGIN')) {
    try {
      pem = readFileSync(pem, 'utf8')
    } catch (err) {
      throw new GraphAuthError(
        `${MSGRAPH_ENV.certificate} is neither PEM text nor a readable PEM file: ${(err as Error).message}`,
      )
    }
  }
  const keyPem =
    /-----BEGIN (?:RSA |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |ENCRYPTED )?PRIVATE KEY-----/.exec(
      pem,
    )?.[0]
  const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0]
  if (!keyPem || !certPem) {
    throw new GraphAuthError(
      `${MSGRAPH_ENV.certificate} must hold both the private key and the certificate uploaded to the app registration (PEM); found ${keyPem ? 'no certificate' : 'no private key'}`,
    )
  }
  try {
    createPrivateKey(keyPem)
    return { kind: 'certificate', privateKeyPem: keyPem, certificate: new X509Certificate(certPem) }
  } catch (err) {
    throw new GraphAuthError(
      `${MSGRAPH_ENV.certificate} does not hold a usable key and certificate: ${(err as Error).message}`,
    )
  }
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url')

/**
 * App-only tokens from the Microsoft identity platform: the OAuth 2.0 client credentials grant
 * against `{authority}{tenant}/oauth2/v2.0/token` with scope `https://graph.microsoft.com/.default`
 * (the application permissions an admin consented to), authenticated by the client secret or by
 * a client assertion: a JWT signed with the certificate's key, naming the certificate by its
 * SHA-256 thumbprint (`x5t#S256`) and the SHA-1 one (`x5t`) older tenants look for
 * (https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials). One token
 * serves every mailbox; it is cached until a minute before it expires.
 */
export class ClientCredentialsTokens {
  private cached: { token: string; expiresAt: number } | null = null
  private pending: Promise<string> | null = null
  private readonly http: HttpClient
  private readonly tokenUrl: string

  constructor(
    private readonly app: GraphApp,
    authorityUrl: string,
    fetchImpl: typeof fetch = fetch,
  ) {
    this.tokenUrl = `${authorityUrl.replace(/\/+$/, '')}/${encodeURIComponent(app.tenantId)}/oauth2/v2.0/token`
    this.http = createHttpClient({
      baseUrl: this.tokenUrl,
      // a token request grants a token and changes nothing: safe to send again
      retry: { maxAttempts: 3, retryPost: true },
      fetch: fetchImpl,
    })
  }

  async token(): Promise<string> {
    if (this.cached && this.cached.expiresAt - 60_000 > Date.now()) return this.cached.token
    // the mailboxes synced in parallel share one request for a new token
    this.pending ??= this.request().finally(() => {
      this.pending = null
    })
    return this.pending
  }

  invalidate(): void {
    this.cached = null
  }

  private assertion(): string {
    const c = this.app.credential
    if (c.kind !== 'certificate') throw new Error('no certificate')
    const now = Math.floor(Date.now() / 1000)
    const header = b64url(
      JSON.stringify({
        alg: 'RS256',
        typ: 'JWT',
        'x5t#S256': createHash('sha256').update(c.certificate.raw).digest('base64url'),
        x5t: createHash('sha1').update(c.certificate.raw).digest('base64url'),
      }),
    )
    const claims = b64url(
      JSON.stringify({
        aud: this.tokenUrl,
        iss: this.app.clientId,
        sub: this.app.clientId,
        jti: randomUUID(),
        nbf: now,
        iat: now,
        exp: now + 600,
      }),
    )
    const signer = createSign('RSA-SHA256')
    signer.update(`${header}.${claims}`)
    return `${header}.${claims}.${b64url(signer.sign(c.privateKeyPem))}`
  }

  private async request(): Promise<string> {
    const form = new URLSearchParams({
      client_id: this.app.clientId,
      scope: GRAPH_DEFAULT_SCOPE,
      grant_type: 'client_credentials',
    })
    if (this.app.credential.kind === 'secret') form.set('client_secret', this.app.credential.secret)
    else {
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      form.set('client_assertion', this.assertion())
    }
    const res = await this.http
      .request('POST', '', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      })
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
      // the description's first line names the AADSTS code; the rest is trace ids
      const why = body.error
        ? `${body.error}${body.error_description ? `: ${body.error_description.split(/ Trace ID:|\r?\n/)[0]}` : ''}`
        : `HTTP ${res.status}`
      throw new GraphAuthError(
        `the Microsoft identity platform refused a token for app ${this.app.clientId} in tenant ${this.app.tenantId}: ${why}${hintFor(body.error, body.error_description)}`,
        'upstream',
      )
    }
    this.cached = { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3599) * 1000 }
    return body.access_token
  }
}

function hintFor(error: string | undefined, description: string | undefined): string {
  const d = description ?? ''
  if (/AADSTS90002/.test(d)) return ` – check ${MSGRAPH_ENV.tenant}`
  if (/AADSTS700016/.test(d))
    return ` – check ${MSGRAPH_ENV.client} (the app registration's Application (client) ID)`
  if (/AADSTS7000215/.test(d))
    return ` – ${MSGRAPH_ENV.secret} must be the secret's Value, not its Secret ID, and not expired`
  if (/AADSTS700027|AADSTS7000274/.test(d))
    return ` – upload the certificate of ${MSGRAPH_ENV.certificate} to the app registration (Certificates & secrets)`
  if (error === 'invalid_client') return ` – check ${MSGRAPH_ENV.secret} / ${MSGRAPH_ENV.certificate}`
  return ''
}
