import { createHash, randomBytes, verify, X509Certificate } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TEST_APP_CERTIFICATE, TEST_APP_PRIVATE_KEY } from './test-app-certificate.ts'

/**
 * The shell of a fake Microsoft Graph: the Microsoft identity platform's token endpoint for
 * app-only access (client credentials with a secret or a certificate) and bearer-token checks,
 * with the Graph resources in route files beside this one (calendar.ts; the org chart's
 * `/users?$expand=manager` may add its own). Shapes follow:
 * - the client credentials grant, https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow:
 *   `POST /{tenant}/oauth2/v2.0/token` with `client_id`, `scope=https://graph.microsoft.com/.default`,
 *   `grant_type=client_credentials` and `client_secret`, or `client_assertion_type=
 *   urn:ietf:params:oauth:client-assertion-type:jwt-bearer` + `client_assertion`; errors as
 *   `{error, error_description: "AADSTS…", error_codes, timestamp, trace_id, correlation_id}`;
 * - certificate credentials, https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials:
 *   an RS256 JWT whose header names the certificate (`x5t#S256`, or the older SHA-1 `x5t`), with
 *   `aud` the token endpoint, `iss` = `sub` = the client id, `jti`, `exp`, `nbf`;
 * - Graph's error body, https://learn.microsoft.com/en-us/graph/errors: `{error: {code, message,
 *   innerError: {date, request-id, client-request-id}}}`.
 */

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default'

export interface RecordedGraphRequest {
  method: string
  path: string
  query: Record<string, string>
  prefer: string
  status: number
  at: number
}

/** what a route file gets: the request already authenticated */
export interface GraphRouteContext {
  /** the URL relative to the Graph root (`users/…`), with its query */
  url: URL
  /** path below the Graph root, without a leading slash */
  path: string
  req: IncomingMessage
  res: ServerResponse
  /** application permissions (roles) of the token */
  roles: string[]
}

/** handles the request and answers its status, or returns null when the path is not its own */
export type GraphRoute = (ctx: GraphRouteContext) => Promise<number | null> | number | null

export interface FakeGraphAppOptions {
  tenantId?: string
  clientId?: string
  clientSecret?: string
  /** application permissions admin consent granted (default Calendars.Read, User.Read.All) */
  roles?: string[]
}

export interface FakeGraphShell {
  /** the Graph root to configure as graphUrl (`…/v1.0/`) */
  graphUrl: string
  /** the identity platform root to configure as authorityUrl */
  authorityUrl: string
  tenantId: string
  clientId: string
  clientSecret: string
  /** PEM with the private key and the certificate registered on the app (MSGRAPH_CLIENT_CERTIFICATE) */
  certificatePem: string
  requests: RecordedGraphRequest[]
  /** tokens issued so far */
  tokensIssued: () => number
  close(): Promise<void>
}

export function graphError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): number {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(
    JSON.stringify({
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().slice(0, 19),
          'request-id': randomBytes(16).toString('hex'),
          'client-request-id': randomBytes(16).toString('hex'),
        },
      },
    }),
  )
  return status
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): number {
  res.writeHead(status, { 'content-type': 'application/json;odata.metadata=minimal', ...headers })
  res.end(JSON.stringify(body))
  return status
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let data = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => {
      data += c
    })
    req.on('end', () => resolve(data))
    req.on('error', reject)
  })

const unb64 = <T>(s: string): T | null => {
  try {
    return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as T
  } catch {
    return null
  }
}

export async function startFakeGraphShell(
  app: FakeGraphAppOptions,
  routes: GraphRoute[],
): Promise<FakeGraphShell> {
  const tenantId = app.tenantId ?? '8f3c1a52-6a4e-4c4e-9d7b-2f0c7e6b1a11'
  const clientId = app.clientId ?? '3b1e5c7a-0d2f-4e8b-a9c6-5d4f3e2a1b0c'
  const clientSecret = app.clientSecret ?? `fake~${randomBytes(15).toString('base64url')}`
  const roles = app.roles ?? ['Calendars.Read', 'User.Read.All']
  const cert = new X509Certificate(TEST_APP_CERTIFICATE)
  const x5tS256 = createHash('sha256').update(cert.raw).digest('base64url')
  const x5t = createHash('sha1').update(cert.raw).digest('base64url')
  const tokens = new Map<string, { roles: string[]; expiresAt: number }>()
  const requests: RecordedGraphRequest[] = []
  let root = ''

  const aadError = (res: ServerResponse, status: number, error: string, code: number, text: string) =>
    sendJson(res, status, {
      error,
      error_description: `AADSTS${code}: ${text} Trace ID: ${randomBytes(8).toString('hex')} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString().replace('T', ' ').slice(0, 19),
      trace_id: randomBytes(16).toString('hex'),
      correlation_id: randomBytes(16).toString('hex'),
    })

  async function token(req: IncomingMessage, res: ServerResponse, tenant: string): Promise<number> {
    const form = new URLSearchParams(await readBody(req))
    if (tenant !== tenantId)
      return aadError(
        res,
        400,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      )
    if (form.get('grant_type') !== 'client_credentials')
      return aadError(
        res,
        400,
        'unsupported_grant_type',
        70003,
        'The app requested an unsupported grant type.',
      )
    if (form.get('client_id') !== clientId)
      return aadError(
        res,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form.get('client_id')}' was not found in the directory '${tenant}'.`,
      )
    if (form.get('scope') !== GRAPH_SCOPE)
      return aadError(
        res,
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${form.get('scope')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      )
    const assertion = form.get('client_assertion')
    if (assertion) {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
        return aadError(res, 400, 'invalid_request', 50027, 'Invalid client_assertion_type.')
      const [h, c, s] = assertion.split('.')
      const header = h ? unb64<{ alg?: string; 'x5t#S256'?: string; x5t?: string }>(h) : null
      const claims = c
        ? unb64<{ aud?: string; iss?: string; sub?: string; exp?: number; nbf?: number; jti?: string }>(c)
        : null
      if (!header || !claims || !s)
        return aadError(res, 400, 'invalid_request', 50027, 'JWT token is invalid or malformed.')
      if (header['x5t#S256'] !== x5tS256 && header.x5t !== x5t)
        return aadError(
          res,
          401,
          'invalid_client',
          700027,
          'The certificate with identifier used to sign the client assertion is not registered on application.',
        )
      const signed =
        header.alg === 'RS256' &&
        verify('RSA-SHA256', Buffer.from(`${h}.${c}`), cert.publicKey, Buffer.from(s, 'base64url'))
      if (!signed)
        return aadError(
          res,
          401,
          'invalid_client',
          7000274,
          'Client assertion contains an invalid signature.',
        )
      const now = Date.now() / 1000
      if (claims.aud !== `${root}${tenant}/oauth2/v2.0/token`)
        return aadError(
          res,
          400,
          'invalid_client',
          700021,
          'Client assertion audience claim does not match Realm issuer.',
        )
      if (claims.iss !== clientId || claims.sub !== clientId || !claims.jti)
        return aadError(
          res,
          400,
          'invalid_client',
          700023,
          'Client assertion audience/issuer/subject claims are invalid.',
        )
      if ((claims.exp ?? 0) < now || (claims.nbf ?? 0) > now + 300)
        return aadError(
          res,
          400,
          'invalid_client',
          700024,
          'Client assertion is not within its valid time range.',
        )
    } else if (form.get('client_secret') !== clientSecret) {
      return aadError(
        res,
        401,
        'invalid_client',
        7000215,
        'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
      )
    }
    const t = `eyJ0eXAiOiJKV1QifQ.fake-${randomBytes(24).toString('hex')}`
    tokens.set(t, { roles, expiresAt: Date.now() + 3599_000 })
    return sendJson(res, 200, {
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: t,
    })
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<number> {
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname)
    if (tokenPath && req.method === 'POST') return token(req, res, decodeURIComponent(tokenPath[1] as string))
    if (!url.pathname.startsWith('/v1.0/')) return graphError(res, 400, 'BadRequest', 'Invalid version.')
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')
    const grant = auth ? tokens.get(auth[1] as string) : undefined
    if (!auth) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.')
    if (!grant || grant.expiresAt < Date.now())
      return graphError(
        res,
        401,
        'InvalidAuthenticationToken',
        'Access token has expired or is not yet valid.',
      )
    const ctx: GraphRouteContext = {
      url,
      path: url.pathname.slice('/v1.0/'.length),
      req,
      res,
      roles: grant.roles,
    }
    for (const route of routes) {
      const status = await route(ctx)
      if (status !== null) return status
    }
    return graphError(
      res,
      400,
      'BadRequest',
      `Resource not found for the segment '${ctx.path.split('/')[0]}'.`,
    )
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', root || 'http://fake')
    const record: RecordedGraphRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      prefer: String(req.headers.prefer ?? ''),
      status: 0,
      at: Date.now(),
    }
    handle(req, res, url)
      .then((status) => {
        record.status = status
        requests.push(record)
      })
      .catch((err: Error) => {
        record.status = graphError(res, 500, 'generalException', err.message)
        requests.push(record)
      })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  root = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  return {
    graphUrl: `${root}v1.0/`,
    authorityUrl: root,
    tenantId,
    clientId,
    clientSecret,
    certificatePem: `${TEST_APP_PRIVATE_KEY}\n${TEST_APP_CERTIFICATE}\n`,
    requests,
    tokensIssued: () => tokens.size,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  }
}
