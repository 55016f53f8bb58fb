import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClickHouse, migrate, writeFacts } from '@orgpulse/clickhouse'
import {
  type CanonicalEventInput,
  canonicalEventSchema,
  configSchema,
  type DecisionRecordInput,
} from '@orgpulse/contracts'
import { importOrg } from '@orgpulse/org'
import { transformBytes } from '../../../test/setup/pipeline.ts'

export const config = configSchema.parse({})

/** A fresh embedded ClickHouse for one test file (chDB: one data directory per process). */
export async function freshClickHouse(): Promise<{ client: ClickHouseClient; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'orgpulse-metrics-'))
  const client = createClickHouse({ dataDir: dir })
  await migrate(client)
  return { client, dir }
}

export async function importCsv(
  client: ClickHouseClient,
  dir: string,
  name: string,
  csv: string,
  effective: string,
): Promise<void> {
  const file = join(dir, name)
  writeFileSync(file, csv)
  await importOrg({ client, file, effective })
}

/** Decision records through the real mapping into the fact tables. */
export async function ingestDecisions(
  client: ClickHouseClient,
  records: DecisionRecordInput[],
): Promise<void> {
  const events = records.flatMap((r) =>
    transformBytes(
      Buffer.from(
        JSON.stringify({
          source: 'decisions',
          entity: 'decision',
          sourceId: r.id,
          fetchedAt: '2026-10-15T00:00:00Z',
          payload: r,
        }),
      ),
      { config },
    ),
  )
  await writeFacts(client, events)
}

export async function insertEvents(client: ClickHouseClient, events: CanonicalEventInput[]): Promise<void> {
  await writeFacts(
    client,
    events.map((e) => canonicalEventSchema.parse(e)),
  )
}
