import { randomBytes } from 'node:crypto'
import { type GraphRoute, graphError, sendJson } from './server.ts'

/**
 * Fake Graph users with their managers, the org chart of a tenant without provisioning:
 * - List users, https://learn.microsoft.com/en-us/graph/api/user-list : `GET /users` with
 *   `$select`, `$filter`, `$top` (1–999, default 100) and `$expand=manager($select=id)`; needs the
 *   application permission User.Read.All (or Directory.Read.All), else 403
 *   `Authorization_RequestDenied` "Insufficient privileges to complete the operation.";
 * - the user resource, https://learn.microsoft.com/en-us/graph/api/resources/user : only the
 *   `$select`ed properties are returned, unset ones as null (`mail` of an account without a
 *   mailbox, `jobTitle`, `department`, `employeeId`); an expanded `manager` is a directoryObject
 *   `{"@odata.type": "#microsoft.graph.user", "id": …}`, and is absent when there is none;
 * - paging, https://learn.microsoft.com/en-us/graph/paging : `@odata.nextLink` with a
 *   `$skiptoken`, an opaque link to follow as is;
 * - throttling, https://learn.microsoft.com/en-us/graph/throttling : 429 `TooManyRequests`
 *   with `Retry-After` seconds.
 * The `$filter` is a small subset (`accountEnabled eq true|false`), enough for the documented
 * "enabled users only" case; anything else is 400 as Graph answers an unsupported query.
 */
export interface FakeGraphUser {
  id: string
  displayName: string | null
  mail: string | null
  userPrincipalName: string
  jobTitle?: string | null
  department?: string | null
  employeeId?: string | null
  accountEnabled?: boolean
  /** the manager's id */
  managerId?: string | null
}

export interface FakeGraphUsers {
  route: GraphRoute
  setUsers(users: FakeGraphUser[]): void
  /** answer the next `n` list requests with 429 and `Retry-After: seconds` */
  throttleNext(n: number, seconds?: number): void
}

const PROPERTIES = [
  'id',
  'displayName',
  'mail',
  'userPrincipalName',
  'jobTitle',
  'department',
  'employeeId',
  'accountEnabled',
]

/**
 * `maxPageSize`: Graph may answer fewer than `$top` a page (the paging doc: "the page size may
 * be smaller than requested"); a small one makes a test follow nextLinks over a few users.
 */
export function fakeGraphUsers(initial: FakeGraphUser[] = [], maxPageSize = 999): FakeGraphUsers {
  let users = initial
  let throttle = { n: 0, seconds: 1 }
  const pages = new Map<string, { select: string[]; expand: boolean; rest: FakeGraphUser[]; top: number }>()

  const shape = (u: FakeGraphUser, select: string[], expand: boolean): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const p of select) out[p] = (u as unknown as Record<string, unknown>)[p] ?? null
    if (expand && u.managerId) out.manager = { '@odata.type': '#microsoft.graph.user', id: u.managerId }
    return out
  }

  const route: GraphRoute = ({ path, url, req, res, roles }) => {
    if (path !== 'users') return null
    if (req.method !== 'GET') return graphError(res, 405, 'Request_BadRequest', 'Unsupported method.')
    if (!roles.some((r) => r === 'User.Read.All' || r === 'Directory.Read.All' || r === 'User.ReadWrite.All'))
      return graphError(
        res,
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      )
    if (throttle.n > 0) {
      throttle.n--
      return graphError(res, 429, 'TooManyRequests', 'Too many requests. Please try again later.', {
        'retry-after': String(throttle.seconds),
      })
    }
    const base = url.origin + url.pathname
    const skip = url.searchParams.get('$skiptoken')
    let page: { select: string[]; expand: boolean; rest: FakeGraphUser[]; top: number }
    if (skip) {
      const found = pages.get(skip)
      if (!found)
        return graphError(
          res,
          400,
          'Directory_ExpiredPageToken',
          'The specified page token value has expired and can no longer be included in your request.',
        )
      pages.delete(skip)
      page = found
    } else {
      const select = (url.searchParams.get('$select') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
      const unknown = select.filter((s) => !PROPERTIES.includes(s))
      if (unknown.length > 0)
        return graphError(
          res,
          400,
          'Request_BadRequest',
          `Could not find a property named '${unknown[0]}' on type 'microsoft.graph.user'.`,
        )
      const expand = url.searchParams.get('$expand') ?? ''
      if (expand && !/^manager(\(\$select=id\))?$/.test(expand))
        return graphError(res, 400, 'Request_BadRequest', `Parsing OData Select and Expand failed: ${expand}`)
      const top = Number(url.searchParams.get('$top') ?? 100)
      if (!Number.isInteger(top) || top < 1 || top > 999)
        return graphError(
          res,
          400,
          'Request_BadRequest',
          `Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.`,
        )
      const filter = url.searchParams.get('$filter')
      let list = users
      if (filter) {
        const m = /^accountEnabled eq (true|false)$/.exec(filter.trim())
        if (!m) return graphError(res, 400, 'Request_UnsupportedQuery', 'Unsupported Query.')
        list = users.filter((u) => (u.accountEnabled ?? true) === (m[1] === 'true'))
      }
      page = {
        select: select.length > 0 ? select : ['id', 'displayName', 'mail', 'userPrincipalName', 'jobTitle'],
        expand: expand !== '',
        rest: list,
        top: Math.min(top, maxPageSize),
      }
    }
    const now = page.rest.slice(0, page.top)
    const rest = page.rest.slice(page.top)
    const body: Record<string, unknown> = {
      '@odata.context': `${url.origin}/v1.0/$metadata#users(${page.select.join(',')}${page.expand ? ',manager(id)' : ''})`,
      value: now.map((u) => shape(u, page.select, page.expand)),
    }
    if (rest.length > 0) {
      const token = `RFNwdAIAAQAAAB${randomBytes(12).toString('hex')}`
      pages.set(token, { ...page, rest })
      body['@odata.nextLink'] =
        `${base}?$select=${page.select.join(',')}${page.expand ? '&$expand=manager($select=id)' : ''}&$top=${url.searchParams.get('$top') ?? page.top}&$skiptoken=${token}`
    }
    return sendJson(res, 200, body)
  }

  return {
    route,
    setUsers: (next) => {
      users = next
    },
    throttleNext: (n, seconds = 1) => {
      throttle = { n, seconds }
    },
  }
}
