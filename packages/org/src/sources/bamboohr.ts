import { type HrConfig, OrgpulseError } from '@orgpulse/contracts'
import { createHttpClient, type HttpClient, type HttpResponse, HttpRetryError } from '@orgpulse/http-client'
import { z } from 'zod'
import type { HrRecord, HrSource, HrSourceDeps } from './records.ts'

/** the environment variable of the API key (declared in @orgpulse/contracts env.ts) */
export const BAMBOOHR_ENV = 'BAMBOOHR_API_KEY'

/**
 * BambooHR (https://documentation.bamboohr.com): the employee directory
 * (`GET /api/gateway.php/{company}/v1/employees/directory`) for names as the company shows them,
 * and a custom report (`POST …/v1/reports/custom?format=JSON`) for what the directory lacks: the
 * supervisor's employee id (`supervisorEId`), `status`, `employeeNumber`. The API key is the
 * basic-auth user. The directory may be turned off by the company (BambooHR recommends the
 * report for bulk reads): then the report's own names are used. The report lists every employee,
 * Inactive ones too, and silently leaves out fields the key's user may not see: a missing
 * `supervisorEId` or `workEmail` is an error here, not an org without managers.
 */
const REPORT_FIELDS = [
  'id',
  'displayName',
  'firstName',
  'lastName',
  'workEmail',
  'jobTitle',
  'department',
  'supervisorEId',
  'status',
  'employeeNumber',
]
const REQUIRED = ['id', 'workEmail', 'supervisorEId', 'status']

const cell = z.union([z.string(), z.number()]).nullish()
const reportSchema = z.object({
  fields: z.array(z.object({ id: z.string() })),
  employees: z.array(z.record(z.string(), cell)),
})
const directorySchema = z.object({
  employees: z.array(
    z.object({
      id: z.union([z.string(), z.number()]),
      displayName: z.string().nullish(),
      jobTitle: z.string().nullish(),
      department: z.string().nullish(),
    }),
  ),
})

const str = (v: string | number | null | undefined): string | undefined => {
  if (v === null || v === undefined) return undefined
  const s = String(v).trim()
  return s === '' ? undefined : s
}

export function bambooHrSource(config: NonNullable<HrConfig['bamboohr']>, deps: HrSourceDeps): HrSource {
  const key = deps.env.named(BAMBOOHR_ENV)
  if (!key?.trim())
    throw new OrgpulseError(
      'config',
      `hr.source bamboohr needs ${BAMBOOHR_ENV}: an API key of a BambooHR user who may see names, work emails, job titles, departments, status and reports-to`,
    )
  const base = `${config.apiUrl.replace(/\/+$/, '')}/api/gateway.php/${encodeURIComponent(config.company)}/v1/`
  const http: HttpClient = createHttpClient({
    baseUrl: base,
    headers: {
      authorization: `Basic ${Buffer.from(`${key.trim()}:x`).toString('base64')}`,
      accept: 'application/json',
    },
    // the custom report is a read: safe to send again after a 503
    retry: { maxAttempts: 6, retryPost: true, longRetryAfter: 'cap', maxRetryAfterMs: 120_000 },
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  })
  const call = async (method: string, path: string, body?: string): Promise<HttpResponse> => {
    const res = await http
      .request(method, path, {
        ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}),
      })
      .catch((err: unknown) => {
        if (err instanceof HttpRetryError && err.response) return err.response
        throw err
      })
    if (res.status === 401)
      throw new OrgpulseError(
        'upstream',
        `BambooHR refused ${BAMBOOHR_ENV} for company ${config.company} (401)`,
      )
    return res
  }
  return {
    name: 'bamboohr',
    // BambooHR's ids are small integers other sources use too: employeeNumber joins instead
    joinsIdentities: false,
    async read(): Promise<HrRecord[]> {
      const report = await call(
        'POST',
        'reports/custom?format=JSON&onlyCurrent=true',
        JSON.stringify({ title: 'orgpulse org sync', fields: REPORT_FIELDS }),
      )
      if (!report.ok)
        throw new OrgpulseError('upstream', `BambooHR POST reports/custom answered ${report.status}`)
      const parsed = reportSchema.parse(report.json())
      const seen = new Set(parsed.fields.map((f) => f.id))
      const missing = REQUIRED.filter((f) => !seen.has(f))
      if (missing.length > 0)
        throw new OrgpulseError(
          'upstream',
          `BambooHR's report left out ${missing.join(', ')}: the API key's user may not see these fields; give that user access to them`,
        )
      const dir = await call('GET', 'employees/directory')
      // turned off by the company (403/404): the report's names serve
      const directory = dir.ok
        ? new Map(directorySchema.parse(dir.json()).employees.map((e) => [String(e.id), e]))
        : new Map<string, z.infer<typeof directorySchema>['employees'][number]>()
      return parsed.employees.map((e) => {
        const id = str(e.id) ?? ''
        const d = directory.get(id)
        const name =
          str(d?.displayName) ??
          str(e.displayName) ??
          [str(e.firstName), str(e.lastName)].filter(Boolean).join(' ')
        return {
          sourceId: id,
          email: str(e.workEmail) ?? null,
          name,
          managerId: str(e.supervisorEId) ?? null,
          title: str(d?.jobTitle) ?? str(e.jobTitle),
          employeeId: str(e.employeeNumber),
          team: str(d?.department) ?? str(e.department),
          active: str(e.status) === 'Active',
        }
      })
    },
  }
}
