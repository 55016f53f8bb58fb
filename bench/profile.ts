import { createClickHouse } from '@orgpulse/clickhouse'
import { configSchema } from '@orgpulse/contracts'
import { evaluate, METRICS, unitsUnder } from '@orgpulse/metrics'
const c = createClickHouse({ dataDir: process.argv[2]! })
const config = configSchema.parse({})
const to = new Date('2026-11-23')
let t = performance.now()
const units = await unitsUnder(c, process.argv[3]!, to)
console.log('units', units.length, Math.round(performance.now() - t), 'ms')
for (let rep = 0; rep < 2; rep++)
for (const fam of ['decisions', 'dependencies', 'meetings', 'planning']) {
  const defs = METRICS.filter((m) => m.family === fam)
  t = performance.now()
  await evaluate(c, config, units.map((u) => u.unit_id), [{ from: new Date('2025-11-24'), to }], defs)
  console.log(fam, Math.round(performance.now() - t), 'ms')
}
await c.close()
