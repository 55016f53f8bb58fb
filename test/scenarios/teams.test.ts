import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importDecisions } from '@orgpulse/connector-decisions'
import { configSchema } from '@orgpulse/contracts'
import { computeOrgMetrics } from '@orgpulse/metrics'
import { importOrg } from '@orgpulse/org'
import { beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedPipeline, startEmbeddedPipeline } from '../setup/embedded-pipeline.ts'

/**
 * DESIGN "Teams": the units directly below the director, each over its own subtree. Dana leads a
 * senior manager (Sam, over Mia's and Max's teams) and a manager (Meg); Cleo is the CEO above.
 * One decision is raised in each of the three teams and decided by its manager.
 */
const config = configSchema.parse({})
const ORG = `email,name,manager_email,title
cleo@x.io,Cleo,,CEO
dana@x.io,Dana,cleo@x.io,Director
sam@x.io,Sam,dana@x.io,Senior EM
meg@x.io,Meg,dana@x.io,EM
mia@x.io,Mia,sam@x.io,EM
max@x.io,Max,sam@x.io,EM
a1@x.io,Ann,mia@x.io,Engineer
b1@x.io,Bea,max@x.io,Engineer
c1@x.io,Cal,meg@x.io,Engineer
`
const decided = (id: string, raisedBy: string, decidedBy: string) => ({
  id,
  title: id,
  raisedBy,
  raisedAt: '2026-07-01T09:00:00Z',
  status: 'decided',
  decidedBy,
  decidedAt: '2026-07-02T09:00:00Z',
})

const work = mkdtempSync(join(tmpdir(), 'orgpulse-teams-'))
let p: EmbeddedPipeline
beforeAll(async () => {
  p = await startEmbeddedPipeline(config, 'teams', { dataDir: join(work, 'data') })
  writeFileSync(join(work, 'org.csv'), ORG)
  await importOrg({ client: p.client, file: join(work, 'org.csv'), effective: '2026-01-01' })
  writeFileSync(
    join(work, 'log.jsonl'),
    [
      decided('A', 'a1@x.io', 'mia@x.io'),
      decided('B', 'b1@x.io', 'max@x.io'),
      decided('C', 'c1@x.io', 'meg@x.io'),
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  )
  await importDecisions(p.bus, join(work, 'log.jsonl'))
  await p.flush()
  return () => p.stop()
})
const window = { from: '2026-07-01', to: '2026-08-01' }

describe('teams are the units directly below the director', () => {
  it("a senior manager's teams are inside the senior manager's unit, not beside it", async () => {
    const m = await computeOrgMetrics(p.client, config, { director: 'dana@x.io', ...window })
    expect(m.teams.map((t) => [t.id, t.people, t.metrics.decisions_decided])).toEqual([
      ['u:meg@x.io', 2, 1],
      ['u:sam@x.io', 5, 2],
    ])
    // the teams partition the org below the director: their counts add up to the org's
    expect(m.teams.reduce((n, t) => n + (t.metrics.decisions_decided ?? 0), 0)).toBe(
      m.metrics.decisions_decided,
    )
  })

  it("the CEO's teams are the units below the CEO, not every unit of the company", async () => {
    const m = await computeOrgMetrics(p.client, config, { director: 'cleo@x.io', ...window })
    expect(m.teams.map((t) => t.id)).toEqual(['u:dana@x.io'])
    expect(m.teams[0]!.metrics.decisions_decided).toBe(3)
  })

  it("the senior manager's own teams are reached by asking for the senior manager", async () => {
    const m = await computeOrgMetrics(p.client, config, { director: 'sam@x.io', ...window })
    expect(m.teams.map((t) => t.id)).toEqual(['u:max@x.io', 'u:mia@x.io'])
  })
})
