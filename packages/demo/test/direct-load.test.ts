import { decisionEnvelope } from '@orgpulse/connector-decisions'
import { connectorFor } from '@orgpulse/connectors'
import { canonicalEventSchema, configSchema } from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import { jiraConfig, jiraPlan } from '../src/edges/jira.ts'
import { linearConfig, linearPlan } from '../src/edges/linear.ts'
import { generateDemo, streamDemo } from '../src/generate.ts'
import { canonicalByShape } from '../src/load.ts'

const END = new Date('2026-11-23T00:00:00Z')
const DEMOS = [
  { people: 60, weeks: 8, seed: 1, end: END },
  { people: 120, weeks: 26, seed: 1, end: END },
  { people: 30, weeks: 1, seed: 3, end: END },
]

describe('the direct load', () => {
  it.each(DEMOS)('gives every event of the %o demo the form the sink decodes', (options) => {
    const company = generateDemo(options)
    const mapper = connectorFor('decisions').mapper
    const config = configSchema.parse({})
    const decisionEvents = company.decisions.flatMap((d) =>
      mapper(decisionEnvelope(d as Record<string, unknown>, { via: 'demo' }), { config }),
    )
    const canonical = canonicalByShape()
    const all = [...company.events, ...decisionEvents]
    // the events of every type the demo makes are among them
    expect(all.some((e) => e.type === 'meeting.held')).toBe(true)
    expect(all.some((e) => e.type === 'decision.decided')).toBe(true)
    if (options.weeks > 1)
      for (const type of ['cycle.snapshot', 'dependency.resolved', 'decision.escalated'])
        expect(all.some((e) => e.type === type)).toBe(true)
    for (const e of all) expect(canonical(e)).toEqual(canonicalEventSchema.parse(e))
  })

  it('checks each shape against the schema the first time it is seen', () => {
    const e = generateDemo(DEMOS[0]!).events.find((x) => x.type === 'meeting.held')!
    expect(() => canonicalByShape()({ ...e, start: 'not a time' })).toThrow(
      /demo: an invalid meeting.held event: start: /,
    )
  })

  it('streams the same company week by week as generateDemo holds it', () => {
    const company = generateDemo(DEMOS[1]!)
    const { outline, weeks } = streamDemo(DEMOS[1]!)
    const streamed = [...weeks]
    expect(streamed.map((w) => w.week)).toEqual(Array.from({ length: 26 }, (_, i) => i))
    expect(streamed.flatMap((w) => w.events)).toEqual(company.events)
    expect(streamed.flatMap((w) => w.decisions)).toEqual(company.decisions)
    expect(outline.stories).toEqual(company.stories)
    expect(outline.snapshots).toEqual(company.snapshots)
  })

  it.each(DEMOS)(
    'maps the %o demo to the same Jira and Linear teams with or without the vendor seeds',
    (options) => {
      const company = generateDemo(options)
      // only the tracker events, as the direct load keeps them
      const trackers = { ...company, events: company.events.filter((e) => e.type !== 'meeting.held') }
      expect(jiraConfig(trackers)).toEqual(jiraPlan(company)?.config ?? null)
      expect(linearConfig(trackers)).toEqual(linearPlan(company)?.config ?? null)
      expect(jiraConfig(trackers)?.projects.length).toBeGreaterThan(0)
    },
  )
})
