import { type HrConfig, OrgpulseError } from '@orgpulse/contracts'
import { createHttpClient, HttpRetryError } from '@orgpulse/http-client'
import { ClientCredentialsTokens, GraphAuthError, loadGraphApp } from '@orgpulse/msgraph'
import { z } from 'zod'
import type { HrRecord, HrSource, HrSourceDeps } from './records.ts'

/**
 * Entra ID without provisioning: Microsoft Graph List users
 * (https://learn.microsoft.com/en-us/graph/api/user-list) with each user's manager expanded,
 * `$top=999` a page, following `@odata.nextLink` as given
 * (https://learn.microsoft.com/en-us/graph/paging). App-only, with the app registration of the
 * Microsoft 365 calendars (MSGRAPH_* variables) and the application permission User.Read.All.
 * Throttled requests (429/503/504) wait for `Retry-After`
 * (https://learn.microsoft.com/en-us/graph/throttling).
 */
const SELECT = 'id,displayName,mail,userPrincipalName,jobTitle,department,employeeId,accountEnabled'

const userSchema = z.object({
  id: z.string(),
  displayName: z.string().nullish(),
  mail: z.string().nullish(),
  userPrincipalName: z.string().nullish(),
  jobTitle: z.string().nullish(),
  department: z.string().nullish(),
  employeeId: z.string().nullish(),
  accountEnabled: z.boolean().nullish(),
  manager: z.object({ id: z.string() }).nullish(),
})
const pageSchema = z.object({
  value: z.array(userSchema),
  '@odata.nextLink': z.string().optional(),
})

const blank = (s: string | null | undefined): s is null | undefined => !s?.trim()

/** A guest's UPN (`ana_example.com#EXT#@tenant.onmicrosoft.com`) is no address of theirs. */
export function emailOfGraphUser(u: {
  mail?: string | null
  userPrincipalName?: string | null
}): string | null {
  if (!blank(u.mail)) return u.mail.trim()
  const upn = u.userPrincipalName?.trim()
  return upn?.includes('@') && !upn.includes('#EXT#') ? upn : null
}

export function graphUsersSource(config: HrConfig['graph'], deps: HrSourceDeps): HrSource {
  let app: ReturnType<typeof loadGraphApp>
  try {
    app = loadGraphApp(deps.env)
  } catch (err) {
    if (err instanceof GraphAuthError)
      throw new OrgpulseError(
        'config',
        `${err.message.replace('Microsoft 365 calendars need', 'hr.source graph needs').replace('Calendars.Read', 'User.Read.All')}`,
      )
    throw err
  }
  const tokens = new ClientCredentialsTokens(app, config.authorityUrl, deps.fetch)
  const http = createHttpClient({
    baseUrl: config.graphUrl,
    retry: { maxAttempts: 6, on: [429, 503, 504], longRetryAfter: 'cap', maxRetryAfterMs: 120_000 },
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  })
  return {
    name: 'graph',
    joinsIdentities: true,
    async read(): Promise<HrRecord[]> {
      const records: HrRecord[] = []
      const first = new URL('users', config.graphUrl)
      first.searchParams.set('$select', SELECT)
      first.searchParams.set('$expand', 'manager($select=id)')
      first.searchParams.set('$top', '999')
      if (config.filter) first.searchParams.set('$filter', config.filter)
      let next: string | undefined = first.toString()
      let retriedAuth = false
      while (next) {
        const res = await http
          .request('GET', next, { headers: { authorization: `Bearer ${await tokens.token()}` } })
          .catch((err: unknown) => {
            if (err instanceof HttpRetryError && err.response) return err.response
            throw err
          })
        if (res.status === 401 && !retriedAuth) {
          // a token revoked or expired early: one fresh token, then the error stands
          retriedAuth = true
          tokens.invalidate()
          continue
        }
        if (!res.ok) {
          const body = res.json() as { error?: { code?: string; message?: string } } | undefined
          const why = body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`
          const hint =
            res.status === 403
              ? ' – grant the app the application permission User.Read.All (Microsoft Graph) with admin consent'
              : ''
          throw new OrgpulseError(
            'upstream',
            `Microsoft Graph GET /users answered ${res.status} (${why})${hint}`,
          )
        }
        const page = pageSchema.parse(res.json())
        for (const u of page.value) {
          records.push({
            sourceId: u.id,
            email: emailOfGraphUser(u),
            name: u.displayName?.trim() || '',
            managerId: u.manager?.id ?? null,
            title: u.jobTitle ?? undefined,
            employeeId: blank(u.employeeId) ? undefined : u.employeeId.trim(),
            team: blank(u.department) ? undefined : u.department.trim(),
            active: u.accountEnabled !== false,
          })
        }
        next = page['@odata.nextLink']
      }
      return records
    },
  }
}
