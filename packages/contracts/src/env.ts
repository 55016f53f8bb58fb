import { isIP } from 'node:net'
import { z } from 'zod'
import { OrgpulseError } from './errors.ts'
import { formatIssues } from './format-issues.ts'

/**
 * Every environment variable orgpulse reads by a fixed name. Each process parses its environment
 * once, at its entry point (`parseEnv(process.env)`), and hands the typed values down: libraries
 * never read `process.env`, so what a function depends on is in its signature and tests pass
 * values instead of mutating the process. The README's table of variables is checked against
 * these keys (test/structure/env-readme.test.ts).
 *
 * Defaults that differ per process (LOG_LEVEL, PORT, CLICKHOUSE_DATABASE) are left unset here and
 * applied by the process that reads them, so one variable keeps one meaning.
 */

const text = z.string().trim()

const positiveInt = (what: string) =>
  z.string().transform((raw, ctx) => {
    const n = Number(raw.trim())
    if (!Number.isInteger(n) || n <= 0) {
      ctx.addIssue({ code: 'custom', message: `must be a positive ${what} (got "${raw}")` })
      return z.NEVER
    }
    return n
  })

const port = z.string().transform((raw, ctx) => {
  const n = Number(raw.trim())
  if (!Number.isInteger(n) || n < 0 || n > 65_535) {
    ctx.addIssue({ code: 'custom', message: `must be a TCP port, 0–65535 (got "${raw}")` })
    return z.NEVER
  }
  return n
})

const commaList = z.string().transform((raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
)

/**
 * Fastify's `trustProxy`: `true`, a hop count, or addresses, CIDRs and proxy-addr's named ranges
 * (`loopback`, `linklocal`, `uniquelocal`), checked here so a typo stops the process at start.
 */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal'])
const trustProxy = z.string().transform((raw, ctx): boolean | number | string[] => {
  const value = raw.trim().toLowerCase()
  if (value === 'true') return true
  if (value === 'false') return false
  if (/^\d+$/.test(value)) return Number(value)
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  const bad = entries.filter((e) => {
    if (PROXY_RANGES.has(e)) return false
    const [address, bits, ...rest] = e.split('/')
    const family = isIP(address ?? '')
    if (family === 0 || rest.length > 0) return true
    return bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))
  })
  if (entries.length === 0 || bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `must be true, false, a hop count, or addresses/CIDRs/loopback/linklocal/uniquelocal, comma-separated (got "${raw}")`,
    })
    return z.NEVER
  }
  return entries
})

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const TRANSFORMER_STAGES = ['transformer', 'sink', 'dlq'] as const

export const envSchema = z.object({
  ORGPULSE_DATA_DIR: text.default('./.orgpulse').describe('embedded data directory (default `./.orgpulse`)'),
  ORGPULSE_CONFIG: text
    .optional()
    .describe('path of `orgpulse.yaml` (default `./orgpulse.yaml` when present)'),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
    .optional()
    .describe('pino level (default `warn` for the `orgpulse` command, `info` for the services)'),
  KAFKA_BROKERS: commaList
    .default([])
    .describe('`host:port,…`; set → full mode on Kafka; unset → in-process bus'),
  ORGPULSE_KAFKA_CLIENT: z
    .string()
    .transform((raw, ctx) => {
      const name = raw.trim().toLowerCase()
      if (name === 'kafkajs') return 'kafkajs' as const
      if (name === 'platformatic' || name === '@platformatic/kafka') return 'platformatic' as const
      ctx.addIssue({ code: 'custom', message: `must be kafkajs or platformatic, not ${JSON.stringify(raw)}` })
      return z.NEVER
    })
    .default('kafkajs')
    .describe('`kafkajs` (default) or `platformatic`'),
  ORGPULSE_TOPIC_PREFIX: text
    .optional()
    .describe('prefixes every topic and consumer group (several environments on one cluster)'),
  CLICKHOUSE_URL: text
    .optional()
    .describe('set → ClickHouse server over HTTP (`http://user:pass@host:8123/db`); unset → embedded engine'),
  ORGPULSE_ENGINE_MEMORY_MB: positiveInt('number of MiB')
    .optional()
    .describe(
      "the embedded engine's memory budget in MiB (default 1024): the whole engine stays under it, one query gets 3/4 of it; a query that needs more fails saying so",
    ),
  CLICKHOUSE_DATABASE: text
    .optional()
    .describe('ClickHouse database (default `default`; `grafana` commands: `orgpulse`)'),
  CLICKHOUSE_CLUSTER: text
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a ClickHouse cluster name ([A-Za-z_][A-Za-z0-9_]*)')
    .optional()
    .describe(
      'cluster mode: migrations and access run `ON CLUSTER` this name (wins over `clickhouse.cluster`)',
    ),
  ORGPULSE_STAGES: commaList
    .pipe(z.array(z.enum(TRANSFORMER_STAGES, { message: `must list ${TRANSFORMER_STAGES.join(', ')}` })))
    .default([...TRANSFORMER_STAGES])
    .describe('which stages run: `transformer,sink,dlq` (default all)'),
  ORGPULSE_STAGE_STALL_MS: positiveInt('number of milliseconds')
    .default(60_000)
    .describe(
      'a stage retrying one batch longer than this is stalled: `/readyz` answers 503 naming it (default 60000)',
    ),
  ORGPULSE_METRICS_PORT: port
    .default(0)
    .describe('serve `/metrics`, `/healthz` and `/readyz` on this port (off when unset or 0)'),
  PORT: port.optional().describe('listen port (default: api 3000, ingest-decisions 8081)'),
  HOST: text.default('0.0.0.0').describe('listen address (default `0.0.0.0`)'),
  ORGPULSE_PORT: port.default(3000).describe('`orgpulse start` HTTP port (default 3000)'),
  ORGPULSE_HOST: text.default('127.0.0.1').describe('`orgpulse start` listen address (default `127.0.0.1`)'),
  ORGPULSE_PULL_EVERY: z
    .string()
    .transform((raw, ctx) => {
      const n = Number(raw.trim())
      if (!Number.isFinite(n) || n < 0) {
        ctx.addIssue({ code: 'custom', message: `must be a number of minutes, 0 for never (got "${raw}")` })
        return z.NEVER
      }
      return n
    })
    .default(15)
    .describe('minutes between pulls of the configured connectors (default 15; 0: never)'),
  ORGPULSE_ROLLUP_INTERVAL_MS: positiveInt('number of milliseconds')
    .default(60_000)
    .describe('how often the weekly metric rollups are refreshed (default 60000)'),
  ORGPULSE_API_AUTH: z
    .enum(['auto', 'tokens', 'none'], { message: 'must be tokens, none or auto' })
    .default('auto')
    .describe('`auto` (default: loopback callers need no token until one exists), `tokens`, `none`'),
  ORGPULSE_API_RATE_LIMIT: positiveInt('number of requests')
    .default(600)
    .describe('requests per token per minute (default 600)'),
  ORGPULSE_API_PUBLIC_URL: text
    .optional()
    .describe(
      "the api's address in the OpenAPI document's `servers` (default: where it listens), for an api behind a proxy",
    ),
  ORGPULSE_SESSION_HOURS: positiveInt('number of hours')
    .default(12)
    .describe('how long a browser session from `/login` (or a `?access_token=` link) lasts (default 12)'),
  ORGPULSE_API_TRUST_PROXY: trustProxy
    .default(false)
    .describe(
      'the reverse proxies whose `X-Forwarded-For`/`-Proto` the api believes (client address, https): `true` (any), a hop count, or addresses/CIDRs/`loopback`, comma-separated (default: none)',
    ),
  ORGPULSE_DIRECTOR_DS_SECRET: z
    .string()
    .optional()
    .describe('derives the per-director Grafana data source passwords (`grafana sync`)'),
  GRAFANA_URL: text
    .optional()
    .describe('Grafana to provision (`grafana sync`), e.g. `http://localhost:3001`'),
  GRAFANA_USER: z.string().optional().describe('Grafana server admin user (default `admin`)'),
  GRAFANA_PASSWORD: z.string().optional().describe('Grafana server admin password'),
  GRAFANA_TOKEN: z.string().optional().describe('Grafana API token, when no admin user/password is set'),
  CLICKHOUSE_GRAFANA_ADMIN_PASSWORD: z
    .string()
    .optional()
    .describe(
      'password `orgpulse clickhouse access` gives `orgpulse_grafana_admin`, the read-only user of Grafana’s Main Org data source (unset: that user is left alone)',
    ),
  GRAFANA_CLICKHOUSE_HOST: text
    .default('clickhouse')
    .describe("ClickHouse host as Grafana's data sources reach it (default `clickhouse`)"),
  GRAFANA_CLICKHOUSE_PORT: port
    .default(8123)
    .describe("ClickHouse HTTP port as Grafana's data sources reach it (default 8123)"),
  MSGRAPH_TENANT_ID: text
    .optional()
    .describe('Microsoft Entra tenant id (GUID or domain) of the app that reads Microsoft 365 calendars'),
  MSGRAPH_CLIENT_ID: text.optional().describe('application (client) id of that app registration'),
  MSGRAPH_CLIENT_SECRET: z
    .string()
    .optional()
    .describe('its client secret (or use `MSGRAPH_CLIENT_CERTIFICATE`)'),
  MSGRAPH_CLIENT_CERTIFICATE: z
    .string()
    .optional()
    .describe(
      'PEM holding the private key and the certificate uploaded to the app (or a path to that file): a signed client assertion instead of a secret',
    ),
  ORGPULSE_SCIM_TOKEN: z
    .string()
    .optional()
    .describe(
      'the bearer token Okta / Entra ID provisioning sends to `/scim/v2` (unset: the SCIM endpoint refuses every request)',
    ),
  BAMBOOHR_API_KEY: z
    .string()
    .optional()
    .describe('BambooHR API key for `org sync` with `hr.source: bamboohr` (sent as the basic-auth user)'),
  LINEAR_API_URL: text
    .optional()
    .describe('Linear GraphQL endpoint over the configured one (tests, proxies)'),
  CHROMIUM_PATH: text
    .default('/usr/bin/chromium')
    .describe('the Chromium `orgpulse review --format pdf` prints with (default `/usr/bin/chromium`)'),
})

export type EnvValues = z.output<typeof envSchema>

/**
 * The parsed environment of one process. `named` reads a variable whose name orgpulse.yaml sets
 * (connector credentials and webhook secrets, alert webhook URLs, director passwords) from the
 * same snapshot, exactly as it was set.
 */
export type Env = Readonly<EnvValues> & { named(name: string): string | undefined }

/** What a function that only reads variables named by the config needs. */
export type NamedEnv = Pick<Env, 'named'>

/** The environment does not say how to run: one line per bad variable. */
export class EnvError extends OrgpulseError {
  constructor(message: string) {
    super('config', message)
  }
}

/**
 * Parses a process's environment once. An empty variable counts as unset, as shells and compose
 * files often leave them. Every bad variable is reported in one error.
 */
export function parseEnv(source: Readonly<Record<string, string | undefined>>): Env {
  const known: Record<string, string> = {}
  for (const key of Object.keys(envSchema.shape)) {
    const value = source[key]
    if (value !== undefined && value.trim() !== '') known[key] = value
  }
  const parsed = envSchema.safeParse(known)
  if (!parsed.success) {
    const lines = formatIssues(parsed.error).map((line) => `  ${line}`)
    throw new EnvError(`invalid environment:\n${lines.join('\n')}`)
  }
  const snapshot = Object.freeze({ ...source })
  return Object.freeze({ ...parsed.data, named: (name: string) => snapshot[name] })
}
