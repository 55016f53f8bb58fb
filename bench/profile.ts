import { createClickHouse } from '@orgpulse/clickhouse'
import { configSchema } from '@orgpulse/contracts'
import { evaluate, METRICS } from '@orgpulse/metrics'
const c = createClickHouse({ dataDir: process.argv[2]! })
const config = configSchema.parse({})
const scopes = process.argv.slice(3)
for (const fam of ['decisions', 'dependencies', 'meetings', 'planning']) {
  const defs = METRICS.filter((m) => m.family === fam)
  const t = performance.now()
  await evaluate(c, config, scopes, [{ from: new Date('2025-11-24'), to: new Date('2026-11-23') }], defs)
  console.log(fam, Math.round(performance.now() - t), 'ms')
}
await c.close()
