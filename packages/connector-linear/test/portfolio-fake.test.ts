import { configSchema, type RawEnvelope } from '@orgpulse/contracts'
import { type FakeLinear, LINEAR_IDS, linearTestSeed, startFakeLinear } from '@orgpulse/fakes/linear'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issuesQuery, LinearClient, mapLinear } from '../src/index.ts'

/**
 * The connector's issue query asks for `Issue.project { id name }` (Linear's GraphQL schema:
 * `project: Project`, nullable; the fake's SDL is checked against @linear/sdk in
 * fake-contract.test.ts) and the relation issues' `project { id }`; the fake answers with the
 * seeded project. Its webhook deliveries name it by `projectId` (IssueWebhookPayload).
 */
const { issues, teams } = LINEAR_IDS
let fake: FakeLinear
beforeAll(async () => {
  const seed = linearTestSeed()
  seed.projects = [{ id: 'p-checkout', name: 'Checkout v2' }]
  seed.issues = seed.issues.map((i) =>
    i.id === issues.decision || i.id === issues.blocked ? { ...i, projectId: 'p-checkout' } : i,
  )
  fake = await startFakeLinear(seed)
})
afterAll(async () => {
  await fake?.close()
})

const ctx = { config: configSchema.parse({ linear: { teams: { ENG: 'u:eng@x.io', PLAT: 'u:plat@x.io' } } }) }
const map = (entity: string, payload: unknown) =>
  mapLinear(
    {
      source: 'linear',
      entity,
      sourceId: 'x',
      fetchedAt: '2026-04-05T00:00:00.000Z',
      payload,
    } as RawEnvelope,
    ctx,
  )

interface Page {
  issues: {
    nodes: { id: string; project: { id: string; name: string } | null; relations: { nodes: unknown[] } }[]
  }
}

describe('Linear project through the query and the fake', () => {
  it('the poll reads Issue.project; the facts carry its id, and a relation the blocked issue’s', async () => {
    const client = new LinearClient({
      url: fake.url,
      credential: { kind: 'apiKey', value: fake.apiKey, envName: 'LINEAR_API_KEY' },
    })
    const page = await client.request<Page>(issuesQuery(false), { teamKey: 'ENG', first: 10 })
    const decision = page.issues.nodes.find((i) => i.id === issues.decision)!
    expect(decision.project).toEqual({ id: 'p-checkout', name: 'Checkout v2' })
    const events = map('issue', decision)
    expect(events.length).toBeGreaterThan(0)
    for (const e of events) expect(e).toMatchObject({ project: 'p-checkout' })
    const regular = page.issues.nodes.find((i) => i.id === issues.regular)!
    expect(regular.project).toBeNull()
    // its own facts carry no project; a link it blocks carries the blocked issue's
    for (const e of map('issue', regular).filter((x) => !x.type.startsWith('dependency.')))
      expect(e).toMatchObject({ project: '' })
    // the PLAT blocker's relation to the blocked ENG issue (in p-checkout)
    const plat = await client.request<Page>(issuesQuery(false), { teamKey: 'PLAT', first: 10 })
    const blocker = plat.issues.nodes.find((i) => i.id === issues.blocker)!
    const linked = blocker.relations.nodes
      .flatMap((r) => map('relation', r))
      .filter((e) => e.type === 'dependency.linked')
    expect(linked.length).toBeGreaterThan(0)
    for (const e of linked)
      expect(e).toMatchObject({ blockedItem: `linear:${issues.blocked}`, project: 'p-checkout' })
  })

  it('a webhook delivery names the project by projectId', () => {
    const body = fake.model.createIssue(
      {
        id: 'i-new',
        teamId: teams.eng,
        number: 99,
        title: 'New',
        stateId: fake.model.issue(issues.regular).stateId,
        projectId: 'p-checkout',
      },
      { at: '2026-04-04T10:00:00.000Z' },
    )
    expect(body.data).toMatchObject({ projectId: 'p-checkout' })
    expect(body.data).not.toHaveProperty('project')
    for (const e of map('webhook', body)) expect(e).toMatchObject({ project: 'p-checkout' })
  })
})
