import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json' with { type: 'json' }
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ROOT } from '../setup/cli.ts'

/**
 * docker-compose.yml without a Docker engine: valid against the Compose Specification's own JSON
 * schema (test/deploy/vendor, from compose-spec/compose-spec), after the interpolation Compose does,
 * and the rules of full mode: secrets required (no defaults), no source mounts, ClickHouse and
 * Kafka not published, a one-shot migration every service waits for, a health check on every
 * long-running service, Grafana provisioned with the ClickHouse plugin.
 */

type Env = Record<string, string | undefined>

/**
 * Compose's interpolation (compose-spec 12-interpolation.md): `$$` is a literal `$`; `${VAR}`,
 * `${VAR:-default}` / `${VAR-default}`, `${VAR:?message}` / `${VAR?message}` (an error when unset,
 * `:` also when empty), `${VAR:+alt}` / `${VAR+alt}`. Returns the text and every reference seen.
 */
const REFERENCE =
  /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])((?:[^{}]|\{[^}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g

/** every `${…}` / `$VAR` in the text, evaluated against nothing */
export function references(text: string): Ref[] {
  return [...text.matchAll(REFERENCE)]
    .filter((m) => m[0] !== '$$')
    .map((m) => ({ name: m[1] ?? m[5]!, op: m[3] ? `${m[2]}${m[3]}` : '', arg: m[4] ?? '' }))
}

export function interpolate(text: string, env: Env): { text: string; refs: Ref[] } {
  const refs: Ref[] = references(text)
  const out = text.replace(
    REFERENCE,
    (whole, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === '$$') return '$'
      const v = name ?? bare!
      const value = env[v]
      const unset = value === undefined || (colon === ':' && value === '')
      if (op === '?' && unset) throw new Error(`required variable ${v} is missing a value: ${arg}`)
      if (op === '-') return unset ? (arg ?? '') : value!
      if (op === '+') return unset ? '' : (arg ?? '')
      return value ?? ''
    },
  )
  return { text: out, refs }
}
interface Ref {
  name: string
  op: string
  arg: string
}

/** a variable whose value is a credential */
const SECRET = /PASSWORD|SECRET|TOKEN|(^|_)KEY$|API_KEY|PAT$/

const COMPOSE = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')
const OVERRIDE = readFileSync(join(ROOT, 'docker-compose.override.yml.example'), 'utf8')
/** every variable the file interpolates, set: the model Compose validates once .env is filled in */
const FILLED: Env = Object.fromEntries(
  references(COMPOSE).map((r) => [r.name, `test-${r.name.toLowerCase()}`]),
)

// biome-ignore lint/suspicious/noExplicitAny: the compose model is checked by its JSON schema, then read loosely
type Model = any
const model = (text: string): Model => parse(interpolate(text, FILLED).text, { merge: true })
const compose: Model = model(COMPOSE)
const services = Object.entries(compose.services as Record<string, Model>)
const ORGPULSE_IMAGE = compose['x-orgpulse'].image as string
const orgpulseServices = services.filter(([, s]) => s.image === ORGPULSE_IMAGE)

function schemaValidate(doc: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false })
  // the schema names draft-07 by its https address; Ajv knows the meta-schema under http://…#
  ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' })
  const validate = ajv.compile(
    JSON.parse(readFileSync(join(import.meta.dirname, 'vendor', 'compose-spec.json'), 'utf8')),
  )
  return validate(doc)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema, as is the override example', () => {
    expect(schemaValidate(compose)).toEqual([])
    expect(schemaValidate(model(OVERRIDE))).toEqual([])
  })

  it('the schema check is not vacuous: a misspelt key and a wrong type are refused', () => {
    const broken = structuredClone(compose)
    broken.services.api.healthcheck.intervall = '5s'
    broken.services.api.ports = 3000
    const errors = schemaValidate(broken)
    expect(errors.some((e) => e.includes('/services/api/healthcheck') && e.includes('intervall'))).toBe(true)
    expect(errors.some((e) => e.startsWith('/services/api/ports'))).toBe(true)
  })

  it('requires every secret it interpolates (`$' + '{VAR:?message}`), never with a default', () => {
    const refs = interpolate(COMPOSE, FILLED).refs
    const secrets = refs.filter((r) => SECRET.test(r.name))
    expect(new Set(secrets.map((r) => r.name))).toEqual(
      new Set(['CLICKHOUSE_PASSWORD', 'GRAFANA_ADMIN_PASSWORD', 'CLICKHOUSE_GRAFANA_ADMIN_PASSWORD']),
    )
    for (const r of secrets) {
      expect(r.op, `${r.name} must be \${${r.name}:?…}`).toBe(':?')
      expect(r.arg).toMatch(new RegExp(`set ${r.name} `))
    }
    // and `up` refuses to start without one, naming it
    const { CLICKHOUSE_PASSWORD: _, ...without } = FILLED
    expect(() => interpolate(COMPOSE, without)).toThrow(
      /CLICKHOUSE_PASSWORD is missing a value: set CLICKHOUSE_PASSWORD/,
    )
    expect(() => interpolate(COMPOSE, { ...FILLED, GRAFANA_ADMIN_PASSWORD: '' })).toThrow(
      /GRAFANA_ADMIN_PASSWORD/,
    )
  })

  it('sets no secret to a literal value: each is passed through from .env or required', () => {
    const raw = parse(COMPOSE, { merge: true }) as Model
    for (const [name, service] of Object.entries(raw.services as Record<string, Model>))
      for (const [key, value] of Object.entries((service.environment ?? {}) as Record<string, unknown>)) {
        if (!SECRET.test(key)) continue
        const where = `${name}.environment.${key}`
        if (value === null) continue // passed through from the shell or .env, unset stays unset
        expect(String(value), where).toMatch(
          new RegExp(
            `^\\$\\{${key === 'GF_SECURITY_ADMIN_PASSWORD' || key === 'GRAFANA_PASSWORD' ? 'GRAFANA_ADMIN_PASSWORD' : key}:\\?[^}]+\\}$`,
          ),
        )
      }
    // credentials inside a URL are interpolated too
    expect(raw['x-orgpulse'].environment.CLICKHOUSE_URL).toMatch(
      /^http:\/\/orgpulse:\$\{CLICKHOUSE_PASSWORD:\?[^}]+\}@clickhouse:8123$/,
    )
  })

  it('mounts no source: the orgpulse services mount nothing, others only named volumes; files come in as configs', () => {
    for (const [name, s] of orgpulseServices) expect(s.volumes, name).toBeUndefined()
    for (const [name, s] of services)
      for (const v of (s.volumes ?? []) as (string | { type: string; source: string })[]) {
        const source = typeof v === 'string' ? v.split(':')[0]! : v.source
        const type = typeof v === 'string' ? (/^[./~]/.test(source) ? 'bind' : 'volume') : v.type
        expect({ service: name, type }).toEqual({ service: name, type: 'volume' })
        expect(Object.keys(compose.volumes)).toContain(source)
      }
    // configs are single files the deployment needs, never a directory of code
    const allowed =
      /^\.\/(orgpulse\.yaml|infra\/clickhouse\/config\.d\/[\w-]+\.xml|dashboards\/(provisioning\/[\w/-]+\.yaml|generated\/[\w-]+\.json))$/
    for (const [name, c] of Object.entries(compose.configs as Record<string, { file: string }>)) {
      expect(c.file, name).toMatch(allowed)
      if (c.file !== './orgpulse.yaml') expect(existsSync(join(ROOT, c.file)), c.file).toBe(true)
    }
  })

  it('Grafana gets every generated dashboard and provisioning file, and the ClickHouse plugin its data source names', () => {
    const grafana = compose.services.grafana
    const mounted = new Map(
      (grafana.configs as { source: string; target: string }[]).map((c) => [
        compose.configs[c.source].file,
        c.target,
      ]),
    )
    const generated = readdirSync(join(ROOT, 'dashboards/generated')).filter((f) => f.endsWith('.json'))
    expect(generated.length).toBeGreaterThan(0)
    for (const f of generated)
      expect(mounted.get(`./dashboards/generated/${f}`)).toBe(`/var/lib/grafana/dashboards/${f}`)
    const provisioning = [
      'datasources/clickhouse.yaml',
      'dashboards/orgpulse.yaml',
      'alerting/rules.yaml',
      'alerting/contact-points.yaml',
    ]
    for (const f of provisioning)
      expect(mounted.get(`./dashboards/provisioning/${f}`)).toBe(`/etc/grafana/provisioning/${f}`)
    const provisionedFiles = readdirSync(join(ROOT, 'dashboards/provisioning'), {
      recursive: true,
      withFileTypes: true,
    })
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name).slice(join(ROOT, 'dashboards/provisioning').length + 1))
    expect(provisionedFiles.sort()).toEqual([...provisioning].sort())
    const datasource = parse(
      readFileSync(join(ROOT, 'dashboards/provisioning/datasources/clickhouse.yaml'), 'utf8'),
    )
    expect(datasource.datasources[0].type).toBe('grafana-clickhouse-datasource')
    expect(datasource.datasources[0].jsonData.host).toBe('clickhouse')
    const rules = readFileSync(join(ROOT, 'dashboards/provisioning/alerting/rules.yaml'), 'utf8')
    const pluginVersion = /pluginVersion: (\S+)/.exec(rules)?.[1]
    expect(grafana.environment.GF_PLUGINS_PREINSTALL).toBe(`grafana-clickhouse-datasource@${pluginVersion}`)
  })

  it('publishes neither ClickHouse nor Kafka', () => {
    expect(compose.services.clickhouse.ports).toBeUndefined()
    expect(compose.services.kafka.ports).toBeUndefined()
    expect(compose.services.clickhouse.expose).toBeUndefined()
    const published = services
      .filter(([, s]) => s.ports)
      .map(([n]) => n)
      .sort()
    expect(published).toEqual(['api', 'grafana', 'ingest-jira', 'ingest-linear'])
    // the development override publishes ClickHouse on loopback only
    expect(model(OVERRIDE).services.clickhouse.ports).toEqual(['127.0.0.1:8123:8123'])
  })

  it('runs the migration once, before every orgpulse service, which all run the one image', () => {
    const migrate = compose.services.migrate
    expect(migrate.image).toBe(ORGPULSE_IMAGE)
    expect(migrate.command).toEqual(['orgpulse', 'migrate'])
    expect(migrate.restart).toBe('no')
    expect(migrate.depends_on).toEqual({ clickhouse: { condition: 'service_healthy' } })
    const others = orgpulseServices.filter(([n]) => n !== 'migrate')
    expect(others.map(([n]) => n).sort()).toEqual([
      'api',
      'ingest-calendar',
      'ingest-decisions',
      'ingest-jira',
      'ingest-linear',
      'orgpulse',
      'sink',
      'transformer',
    ])
    for (const [name, s] of others)
      expect(s.depends_on.migrate, name).toEqual({ condition: 'service_completed_successfully' })
    // each command is an entry point the image has
    for (const [name, s] of orgpulseServices) {
      const [bin, entry] = [...(s.entrypoint ?? []), ...s.command] as string[]
      if (bin === 'orgpulse') continue
      expect(bin, name).toBe('node')
      const service = /^services\/([\w-]+)\/dist\/main\.js$/.exec(entry!)?.[1]
      expect(
        service && existsSync(join(ROOT, 'services', service, 'src', 'main.ts')),
        `${name}: ${entry}`,
      ).toBe(true)
    }
    expect(compose['x-orgpulse'].build.context).toBe('.')
    // `docker compose run --rm orgpulse <command>` runs the CLI with those arguments
    expect(compose.services.orgpulse.entrypoint).toEqual(['orgpulse'])
    expect(compose.services.orgpulse.profiles).toEqual(['tools'])
  })

  it('gives every long-running service a health check; the orgpulse ones probe the port they serve', () => {
    for (const [name, s] of services) {
      if (s.restart === 'no') continue
      expect(s.healthcheck?.disable, name).not.toBe(true)
      expect(s.healthcheck?.test?.length, name).toBeGreaterThan(0)
    }
    for (const [name, s] of orgpulseServices) {
      if (s.restart === 'no') continue
      expect(s.healthcheck.test.slice(0, 3), name).toEqual(['CMD', 'node', '/app/bin/healthcheck.mjs'])
      // the probe reads PORT, else ORGPULSE_METRICS_PORT: one must be set
      expect(s.environment.PORT ?? s.environment.ORGPULSE_METRICS_PORT, name).toMatch(/^\d+$/)
    }
    expect(existsSync(join(ROOT, 'infra/image/healthcheck.mjs'))).toBe(true)
    // transformer and sink split the stages, so each scales on its own topics
    expect(compose.services.transformer.environment.ORGPULSE_STAGES).toBe('transformer')
    expect(compose.services.sink.environment.ORGPULSE_STAGES).toBe('sink,dlq')
  })
})
