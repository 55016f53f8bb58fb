import { configSchema, jiraConfigSchema, SOURCES } from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import { CONNECTORS, configuredConnectors, connectorFor, MAPPERS, PULLED, withWebhook } from '../src/index.ts'

describe('the connector registry', () => {
  it('has exactly one connector per source, each under its own name', () => {
    expect(Object.keys(CONNECTORS).sort()).toEqual([...SOURCES].sort())
    for (const source of SOURCES) expect(connectorFor(source).source).toBe(source)
    expect(new Set(Object.values(CONNECTORS)).size).toBe(SOURCES.length)
  })

  it("is where the transformer's mappers come from", () => {
    for (const source of SOURCES) expect(MAPPERS[source]).toBe(connectorFor(source).mapper)
  })

  it('lists the pulls in a fixed order, and the webhook routes once each', () => {
    expect(PULLED.map((c) => c.source)).toEqual(['jira', 'linear', 'calendar'])
    const routes = withWebhook().map((c) => `${c.webhook!.method} ${c.webhook!.path}`)
    expect(routes).toEqual(['POST /webhooks/jira', 'POST /webhooks/linear', 'POST /v1/decisions'])
    for (const c of SOURCES.map(connectorFor)) expect(c.mappingVersion).toBeGreaterThanOrEqual(1)
  })

  it('pulls what orgpulse.yaml configures', () => {
    expect(configuredConnectors(configSchema.parse({}))).toEqual([])
    const jira = configSchema.parse({ jira: jiraConfigSchema.parse({ projects: ['ENG'] }) })
    expect(configuredConnectors(jira).map((c) => c.source)).toEqual(['jira'])
    const calendar = configSchema.parse({ calendar: { ics: [{ file: 'a.ics', owner: 'a@acme.test' }] } })
    expect(configuredConnectors(calendar).map((c) => c.source)).toEqual(['calendar'])
    // Microsoft 365 alone schedules the calendar pull too (ingest watch, start, the ingest service)
    const m365 = configSchema.parse({ calendar: { microsoft365: {} } })
    expect(configuredConnectors(m365).map((c) => c.source)).toEqual(['calendar'])
  })
})
