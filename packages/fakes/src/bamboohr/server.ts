import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A fake BambooHR API from its documentation:
 * - authentication, https://documentation.bamboohr.com/docs/getting-started : HTTP Basic with the
 *   API key as the user name and any password, against
 *   `https://api.bamboohr.com/api/gateway.php/{companyDomain}/v1/…`; a bad key is 401;
 * - Get Employee Directory, https://documentation.bamboohr.com/reference/get-employees-directory-1 :
 *   `GET …/v1/employees/directory` with `Accept: application/json` answers `{fields, employees}`,
 *   ids as numbers and unset fields as null; a company may disable the directory (then 403 here);
 * - Request Custom Report, https://documentation.bamboohr.com/reference/request-custom-report :
 *   `POST …/v1/reports/custom?format=JSON` with `{title, fields}`; the body is JSON only with
 *   `Content-Type: application/json` exactly (anything else is read as XML: 400 Malformed XML);
 *   every employee whatever their status; values as strings, unset as null; fields the key's
 *   user may not see (or that do not exist) are silently left out, still 200;
 * - throttling, https://documentation.bamboohr.com/docs/api-details : 503 with Retry-After.
 */
export interface FakeBambooEmployee {
  id: number
  firstName: string
  lastName: string
  displayName?: string
  workEmail: string | null
  jobTitle?: string | null
  department?: string | null
  /** the supervisor's employee id */
  supervisorEId?: number | null
  status?: 'Active' | 'Inactive'
  employeeNumber?: string | null
}

export interface FakeBambooHrOptions {
  company?: string
  apiKey?: string
  employees?: FakeBambooEmployee[]
  /** the company turned its directory off (403) */
  directoryDisabled?: boolean
  /** fields the API key's user may not see: left out of reports */
  hiddenFields?: string[]
}

export interface RecordedBambooRequest {
  method: string
  path: string
  query: Record<string, string>
  contentType: string
  body: string
  status: number
}

export interface FakeBambooHr {
  /** configure as hr.bamboohr.apiUrl */
  apiUrl: string
  company: string
  apiKey: string
  requests: RecordedBambooRequest[]
  setEmployees(employees: FakeBambooEmployee[]): void
  /** answer the next `n` requests with 503 and `Retry-After: seconds` */
  throttleNext(n: number, seconds?: number): void
  close(): Promise<void>
}

const DIRECTORY_FIELDS = [
  { id: 'displayName', type: 'text', name: 'Display name' },
  { id: 'firstName', type: 'text', name: 'First name' },
  { id: 'lastName', type: 'text', name: 'Last name' },
  { id: 'jobTitle', type: 'list', name: 'Job title' },
  { id: 'workEmail', type: 'email', name: 'Work Email' },
  { id: 'department', type: 'list', name: 'Department' },
  { id: 'supervisor', type: 'text', name: 'Supervisor' },
]

const REPORT_FIELDS: Record<string, { type: string; name: string }> = {
  id: { type: 'int', name: 'EEID' },
  displayName: { type: 'text', name: 'Display name' },
  firstName: { type: 'text', name: 'First Name' },
  lastName: { type: 'text', name: 'Last Name' },
  workEmail: { type: 'email', name: 'Work Email' },
  jobTitle: { type: 'list', name: 'Job Title' },
  department: { type: 'list', name: 'Department' },
  supervisorEId: { type: 'int', name: "Supervisor's Employee ID" },
  status: { type: 'status', name: 'Status' },
  employeeNumber: { type: 'text', name: 'Employee #' },
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

const send = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): number => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(typeof body === 'string' ? body : JSON.stringify(body))
  return status
}

export async function startFakeBambooHr(o: FakeBambooHrOptions = {}): Promise<FakeBambooHr> {
  const company = o.company ?? 'acme'
  const apiKey = o.apiKey ?? 'fake0123456789abcdef0123456789abcdef0123'
  let employees = o.employees ?? []
  let throttle = { n: 0, seconds: 1 }
  const hidden = new Set(o.hiddenFields ?? [])
  const requests: RecordedBambooRequest[] = []
  const displayName = (e: FakeBambooEmployee) => e.displayName ?? `${e.firstName} ${e.lastName}`

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<number> {
    const prefix = `/api/gateway.php/${company}/v1/`
    if (!url.pathname.startsWith(prefix)) return send(res, 404, '')
    const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? '')
    const user = auth
      ? Buffer.from(auth[1] as string, 'base64')
          .toString('utf8')
          .split(':')[0]
      : undefined
    if (user !== apiKey) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="BambooHR"' })
      res.end()
      return 401
    }
    if (throttle.n > 0) {
      throttle.n--
      return send(res, 503, '', { 'retry-after': String(throttle.seconds) })
    }
    const path = url.pathname.slice(prefix.length)
    if (path === 'employees/directory' && req.method === 'GET') {
      if (o.directoryDisabled) return send(res, 403, '')
      if (!String(req.headers.accept ?? '').includes('application/json')) {
        res.writeHead(200, { 'content-type': 'text/xml' })
        res.end('<directory/>')
        return 200
      }
      const byId = new Map(employees.map((e) => [e.id, e]))
      return send(res, 200, {
        fields: DIRECTORY_FIELDS,
        employees: employees
          .filter((e) => (e.status ?? 'Active') === 'Active')
          .map((e) => {
            const boss = e.supervisorEId ? byId.get(e.supervisorEId) : undefined
            return {
              id: e.id,
              displayName: displayName(e),
              firstName: e.firstName,
              lastName: e.lastName,
              jobTitle: e.jobTitle ?? null,
              workEmail: e.workEmail,
              department: e.department ?? null,
              // the directory names the supervisor, not their id
              supervisor: boss ? `${boss.lastName}, ${boss.firstName}` : null,
            }
          }),
      })
    }
    if (path === 'reports/custom' && req.method === 'POST') {
      if (req.headers['content-type'] !== 'application/json')
        return send(res, 400, '', { 'x-bamboohr-error-message': 'Malformed XML' })
      if ((url.searchParams.get('format') ?? '').toLowerCase() !== 'json') return send(res, 404, '')
      let asked: { title?: string; fields?: string[] }
      try {
        asked = JSON.parse(body) as { title?: string; fields?: string[] }
      } catch {
        return send(res, 400, '')
      }
      const fields = (asked.fields ?? []).filter((f) => REPORT_FIELDS[f] && !hidden.has(f))
      const value = (e: FakeBambooEmployee, f: string): string | null => {
        const v =
          f === 'displayName'
            ? displayName(e)
            : f === 'status'
              ? (e.status ?? 'Active')
              : (e as unknown as Record<string, unknown>)[f]
        return v === null || v === undefined ? null : String(v)
      }
      return send(res, 200, {
        title: asked.title ?? '',
        fields: fields.map((f) => ({ id: f, ...REPORT_FIELDS[f] })),
        employees: employees.map((e) => Object.fromEntries(fields.map((f) => [f, value(e, f)]))),
      })
    }
    return send(res, 404, '')
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    readBody(req)
      .then(async (body) => {
        const status = await handle(req, res, url, body)
        requests.push({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          contentType: String(req.headers['content-type'] ?? ''),
          body,
          status,
        })
      })
      .catch((err: Error) => send(res, 500, { error: err.message }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  return {
    apiUrl: root,
    company,
    apiKey,
    requests,
    setEmployees: (next) => {
      employees = next
    },
    throttleNext: (n, seconds = 1) => {
      throttle = { n, seconds }
    },
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  }
}
