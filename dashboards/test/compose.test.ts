import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { configSchema } from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { DASHBOARDS_DIR } from '../src/build.ts'
import {
  MAIN_ORG_CLICKHOUSE_PASSWORD_ENV,
  MAIN_ORG_CLICKHOUSE_USER,
  provisioningFiles,
} from '../src/provisioning.ts'

const root = resolve(DASHBOARDS_DIR, '..')
const composeText = readFileSync(resolve(root, 'docker-compose.yml'), 'utf8')
interface Service {
  environment?: Record<string, string | number | null>
  ports?: string[]
}
const compose = parse(composeText) as { services: Record<string, Service> }

/** every `${…}` reference in the file with compose's interpolation operators */
const references = [...composeText.matchAll(/\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g)].map((m) => ({
  name: m[1]!,
  op: m[2] ?? '',
  arg: m[3] ?? '',
}))
const SECRET = /PASSWORD|SECRET|TOKEN|_KEY$/

describe('docker-compose.yml (full mode) keeps isolation', () => {
  it('requires every secret: no default password, and the refusal names the variable', () => {
    const secrets = references.filter((r) => SECRET.test(r.name))
    expect(new Set(secrets.map((r) => r.name))).toEqual(
      new Set(['CLICKHOUSE_PASSWORD', 'GRAFANA_ADMIN_PASSWORD', MAIN_ORG_CLICKHOUSE_PASSWORD_ENV]),
    )
    for (const r of secrets) {
      // `:?` also refuses an empty value, which `?` alone would accept
      expect(r.op, `\${${r.name}} must be required`).toBe(':?')
      expect(r.arg).toContain(r.name)
    }
    // no fallback value for anything: an empty default (unset stays unset) is the most allowed
    for (const r of references.filter((x) => x.op.endsWith('-'))) expect(r.arg, r.name).toBe('')
  })

  it('does not publish ClickHouse on the host', () => {
    expect(compose.services.clickhouse!.ports).toBeUndefined()
    expect(composeText).not.toMatch(/["\s]8123:8123/)
  })

  it('does not publish the token-less decision ingest service: clients write through the api', () => {
    expect(compose.services['ingest-decisions']!.ports).toBeUndefined()
    expect(compose.services.api!.ports).toEqual(['3000:3000'])
  })

  it('turns off auto-assignment to Main Org and self sign-up in Grafana', () => {
    const env = compose.services.grafana!.environment!
    expect(env.GF_USERS_AUTO_ASSIGN_ORG).toBe('false')
    expect(env.GF_USERS_ALLOW_SIGN_UP).toBe('false')
    expect(env[MAIN_ORG_CLICKHOUSE_PASSWORD_ENV]).toMatch(/^\$\{\w+:\?/)
    // Grafana needs no password of the full-access user any more
    expect(env.CLICKHOUSE_PASSWORD).toBeUndefined()
  })

  it('provisions Main Org with the read-only service user, never the full-access one', () => {
    const doc = parse(provisioningFiles(configSchema.parse({}))['datasources/clickhouse.yaml']!) as {
      datasources: { jsonData: { username: string }; secureJsonData: { password: string } }[]
    }
    for (const ds of doc.datasources) {
      expect(ds.jsonData.username).toBe(MAIN_ORG_CLICKHOUSE_USER)
      expect(ds.secureJsonData.password).toBe(`$${MAIN_ORG_CLICKHOUSE_PASSWORD_ENV}`)
    }
    // the committed file is the generated one
    expect(readFileSync(resolve(DASHBOARDS_DIR, 'provisioning/datasources/clickhouse.yaml'), 'utf8')).toBe(
      provisioningFiles(configSchema.parse({}))['datasources/clickhouse.yaml'],
    )
  })
})
