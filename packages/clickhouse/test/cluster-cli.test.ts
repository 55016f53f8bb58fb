import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { orgpulseIn, orgpulseWithEnv } from '../../../test/setup/cli.ts'

/*
 * The cluster settings as the built `orgpulse` reads them (orgpulse.yaml and the environment).
 * Without a ClickHouse server here, what is observable is the refusal of cluster mode on the
 * embedded engine and of a bad name; the rendering itself is cluster.test.ts.
 */
const dir = () => mkdtempSync(join(tmpdir(), 'orgpulse-cluster-cli-'))

describe('orgpulse in cluster mode', () => {
  it('refuses the embedded engine, from orgpulse.yaml or from CLICKHOUSE_CLUSTER', async () => {
    const cwd = dir()
    const config = join(cwd, 'orgpulse.yaml')
    writeFileSync(config, 'clickhouse:\n  cluster: prod\n  distributed: [decision_events]\n')
    const fromYaml = await orgpulseIn({ dataDir: join(cwd, 'data'), cwd, config })('migrate')
    expect(fromYaml.code).toBe(1)
    expect(fromYaml.stderr).toContain('cluster mode needs a ClickHouse server (CLICKHOUSE_URL)')

    const fromEnv = await orgpulseWithEnv(['--data-dir', join(dir(), 'data'), 'migrate'], {
      CLICKHOUSE_CLUSTER: 'prod',
      ORGPULSE_CONFIG: '',
    })
    expect(fromEnv.code).toBe(1)
    expect(fromEnv.stderr).toContain('cluster mode needs a ClickHouse server (CLICKHOUSE_URL)')

    // without either, the same command migrates the embedded engine
    const plain = await orgpulseWithEnv(['--data-dir', join(dir(), 'data'), 'migrate'], {
      ORGPULSE_CONFIG: '',
    })
    expect(plain.stderr).toBe('')
    expect(plain.code).toBe(0)
  })

  it('names a bad cluster setting', async () => {
    const bad = await orgpulseWithEnv(['--data-dir', join(dir(), 'data'), 'migrate'], {
      CLICKHOUSE_CLUSTER: 'prod; DROP',
      ORGPULSE_CONFIG: '',
    })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('CLICKHOUSE_CLUSTER')
    const cwd = dir()
    const config = join(cwd, 'orgpulse.yaml')
    writeFileSync(config, 'clickhouse:\n  distributed: [decision_events]\n')
    const noName = await orgpulseIn({ dataDir: join(cwd, 'data'), cwd, config })('migrate')
    expect(noName.code).toBe(1)
    expect(noName.stderr).toContain('clickhouse.distributed is set but no cluster is')
  })
})
