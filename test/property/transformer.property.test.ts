import { canonicalEventSchema, configSchema, type OrgpulseConfig, SOURCES } from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
// the module itself, not the package index: that one also loads the ClickHouse sink (chDB)
import { transformBytes } from '../../services/transformer/src/transform.ts'
import {
  googleOccurrence,
  JIRA_STATUS,
  JIRA_USERS,
  jiraStatusItem,
} from '../../services/transformer/test/fixtures.ts'

/**
 * Property: whatever bytes arrive on a raw topic, the transformer either returns canonical events
 * (each valid against `canonicalEventSchema`) or throws a `RejectedRecord` with a non-empty reason
 * (which `runStage` dead-letters). Any other throw would stall or crash the stage: a bug.
 */

// ---- contexts: the defaults (no connector sections) and configured ones, like the mapper tests ----

const CONFIGS: OrgpulseConfig[] = [
  configSchema.parse({}),
  configSchema.parse({
    jira: {
      baseUrl: 'https://acme.atlassian.net',
      projects: ['ENG', 'OPS'],
      teams: [
        { team: 'u:eng-lead@acme.test', projects: ['ENG'] },
        { team: 'u:ops-lead@acme.test', projects: ['OPS'] },
        { team: 'Platform', projects: ['ENG'], components: ['Platform'] },
      ],
      statusCategories: { Parked: 'todo' },
    },
    linear: { teams: { ENG: 'u:eng@x.io', PLAT: 'u:plat@x.io' } },
    calendar: { internalDomains: ['acme.com'] },
  }),
]

type Outcome = { kind: 'events'; count: number } | { kind: 'rejected'; reason: string }

/** The property itself: canonical events or a RejectedRecord with a reason, nothing else. */
function transformOrReject(bytes: Buffer, config: OrgpulseConfig): Outcome {
  let events: unknown[]
  try {
    events = transformBytes(bytes, { config })
  } catch (err) {
    if (!(err instanceof RejectedRecord)) {
      throw new Error(
        `transformBytes threw ${err instanceof Error ? `${err.constructor.name}: ${err.message}\n${err.stack}` : String(err)} (not a RejectedRecord) for ${bytes.toString('utf8').slice(0, 2000)}`,
      )
    }
    expect(err.message.trim().length).toBeGreaterThan(0)
    return { kind: 'rejected', reason: err.message }
  }
  expect(Array.isArray(events)).toBe(true)
  for (const e of events) {
    const checked = canonicalEventSchema.safeParse(e)
    if (!checked.success) throw new Error(`returned an invalid canonical event: ${JSON.stringify(e)}`)
    // a second pass through JSON (the bytes the sink will decode) must still be valid
    expect(canonicalEventSchema.safeParse(JSON.parse(JSON.stringify(e))).success).toBe(true)
  }
  return { kind: 'events', count: events.length }
}

const configArb = fc.constantFrom(...CONFIGS)

/** ORGPULSE_PROPERTY_RUNS=10 multiplies every numRuns, for a deeper local search */
const SCALE = Number(process.env.ORGPULSE_PROPERTY_RUNS ?? 1) || 1
const runs = (n: number): number => Math.ceil(n * SCALE)

// ---- junk values: what a mutation puts in place of a field ----

const WEIRD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '2026-02-30T25:61:00Z',
  '2026-13-01',
  '0000-00-00',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59+2359',
  '9999-12-31T23:59:59.999-23:59',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '1970-01-01T00:00:00Z',
  '2026-03-10T00:00:00.000+0000',
  '2026-03-10',
  '1e400',
  '-1',
  'This issue blocks ENG-2',
  'This issue is blocked by OPS-9',
  'Needs Decision',
  'Escalated',
  'Decided',
  'completed',
  'canceled',
  'cancelled',
  'focusTime',
  'ritual',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ünïcödé 🧪 עברית',
  '\uD800',
  '\uDFFF\uD800',
  'a@',
  '@b',
  'UPPER@ACME.COM',
  'jira:acc-1',
  'linear:',
]

const dateString = fc
  .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
  .chain((d) =>
    fc.constantFrom(
      d.toISOString(),
      d.toISOString().replace('Z', '+0000'),
      d.toISOString().slice(0, 10),
      d.toISOString().replace('T', ' '),
      String(d.getTime()),
    ),
  )

const weirdString = fc.oneof(
  fc.constantFrom(...WEIRD_STRINGS),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.integer({ min: 1, max: 5 }).map((n) => 'x'.repeat(10 ** n)),
  dateString,
)

const weirdNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1.5,
    1e16,
    1e21,
    -1e21,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER,
    2 ** 53 + 2,
    8.64e15,
    8.64e15 + 1,
    -8.64e15 - 1,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
)

const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: weirdString },
  { weight: 2, arbitrary: weirdNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom([], {}, [null], [{}], { id: 1 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
)

// ---- mutations of real-shaped envelopes ----

type Path = (string | number)[]
type Mutation =
  | { at: number; op: 'delete' }
  | { at: number; op: 'retype'; text: string; num: number }
  | { at: number; op: 'set'; value: unknown }
  | { at: number; op: 'add'; key: string; value: unknown }

function allPaths(v: unknown, p: Path = [], out: Path[] = []): Path[] {
  out.push(p)
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      allPaths(x, [...p, i], out)
    })
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) allPaths(x, [...p, k], out)
  }
  return out
}

type Container = Record<string, unknown> | unknown[]
const isContainer = (v: unknown): v is Container => v !== null && typeof v === 'object'

function applyMutation(root: unknown, m: Mutation): unknown {
  const paths = allPaths(root)
  const path = paths[m.at % paths.length] ?? []
  const copy: unknown = structuredClone(root)
  if (path.length === 0) {
    if (m.op === 'set') return m.value
    if (m.op === 'delete') return undefined
  }
  let parent: unknown = copy
  for (const k of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[k]
  const last = path.at(-1)
  const target = last === undefined ? copy : (parent as Record<string | number, unknown>)[last]
  if (m.op === 'retype') {
    // same type, hostile value: a number goes extreme, a string becomes odd text or an odd date
    if (typeof target === 'number') return applyMutation(copy, { at: m.at, op: 'set', value: m.num })
    if (typeof target === 'string') return applyMutation(copy, { at: m.at, op: 'set', value: m.text })
    return copy
  }
  if (m.op === 'add') {
    if (Array.isArray(target)) target.push(m.value)
    else if (isContainer(target))
      Object.defineProperty(target, m.key, {
        value: m.value,
        enumerable: true,
        configurable: true,
        writable: true,
      })
    return copy
  }
  if (!isContainer(parent) || last === undefined) return copy
  if (Array.isArray(parent) && typeof last === 'number') {
    if (m.op === 'delete') parent.splice(last, 1)
    else parent[last] = m.value
  } else {
    const obj = parent as Record<string, unknown>
    if (m.op === 'delete') delete obj[String(last)]
    else obj[String(last)] = m.value
  }
  return copy
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ at: fc.nat(), op: fc.constant('retype' as const), text: weirdString, num: weirdNumber }),
  fc.record({ at: fc.nat(), op: fc.constant('retype' as const), text: weirdString, num: weirdNumber }),
  fc.record({ at: fc.nat(), op: fc.constant('delete' as const) }),
  fc.record({ at: fc.nat(), op: fc.constant('set' as const), value: fc.oneof(junk, fc.constant(null)) }),
  fc.record({
    at: fc.nat(),
    op: fc.constant('add' as const),
    key: fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'toString', 'extra', 'id', 'changelog', 'state'),
      fc.string({ maxLength: 8 }),
    ),
    value: junk,
  }),
)

// ---- real-shaped envelopes, one or more per source and entity (shapes from the mapper tests) ----

const jiraUsers = JIRA_USERS
const JS = JIRA_STATUS
const statusItem = jiraStatusItem
const jiraIssue = {
  id: '10042',
  key: 'ENG-1',
  fields: {
    summary: 'Adopt Kafka?',
    issuetype: { id: '1', name: 'Decision' },
    project: { key: 'ENG' },
    status: JS.decided,
    labels: ['decision', 'escalated'],
    components: [{ name: 'Platform' }],
    reporter: jiraUsers.alice,
    creator: jiraUsers.alice,
    assignee: jiraUsers.bob,
    created: '2026-03-02T09:00:00.000+0000',
    updated: '2026-03-05T09:00:00.000+0000',
    issuelinks: [
      {
        id: '1',
        type: { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks' },
        outwardIssue: { id: '2', key: 'OPS-2', fields: { status: JS.todo } },
      },
      {
        id: '2',
        type: { id: '10000', name: 'Blocks', inward: 'is blocked by', outward: 'blocks' },
        inwardIssue: { id: '3', key: 'ENG-9', fields: { status: JS.todo } },
      },
    ],
  },
  changelog: {
    startAt: 0,
    maxResults: 4,
    total: 4,
    histories: [
      {
        id: '100',
        author: jiraUsers.alice,
        created: '2026-03-03T09:00:00.000+0000',
        items: [statusItem(JS.todo, JS.needs)],
      },
      {
        id: '101',
        author: jiraUsers.ghost,
        created: '2026-03-03T10:00:00.000+0000',
        items: [
          {
            field: 'labels',
            fieldtype: 'jira',
            from: null,
            fromString: 'decision',
            to: null,
            toString: 'decision escalated',
          },
        ],
      },
      {
        id: '102',
        author: jiraUsers.bob,
        created: '2026-03-04T09:00:00.000+0000',
        items: [
          statusItem(JS.needs, JS.escalated),
          {
            field: 'assignee',
            fieldtype: 'jira',
            from: null,
            fromString: null,
            to: 'acc-bob',
            toString: 'Bob',
          },
          {
            field: 'Link',
            fieldtype: 'jira',
            from: null,
            fromString: null,
            to: 'OPS-2',
            toString: 'This issue blocks OPS-2',
          },
        ],
      },
      {
        id: '103',
        author: jiraUsers.bob,
        created: '2026-03-05T09:00:00.000+0000',
        items: [statusItem(JS.escalated, JS.decided)],
      },
    ],
  },
}
const jiraWebhook = (webhookEvent: string) => ({
  timestamp: Date.parse('2026-03-05T09:00:00.010Z'),
  webhookEvent,
  user: jiraUsers.bob,
  issue: { id: jiraIssue.id, key: jiraIssue.key, fields: jiraIssue.fields },
  changelog: { id: '103', items: [statusItem(JS.escalated, JS.decided)] },
})

const lState = (name: string, type: string) => ({ id: `s-${name}`, name, type })
const lUser = (id: string, email: string | null) => ({ id, email, name: id })
const linearRelation = {
  id: 'r-1',
  type: 'blocks',
  createdAt: '2026-04-01T00:00:00.000Z',
  issue: {
    id: 'a',
    identifier: 'PLAT-1',
    team: { key: 'PLAT' },
    state: { type: 'completed' },
    completedAt: '2026-04-03T00:00:00.000Z',
  },
  relatedIssue: { id: 'b', identifier: 'ENG-2', team: { key: 'ENG' }, state: { type: 'started' } },
}
const linearIssue = {
  id: 'i-1',
  identifier: 'ENG-1',
  title: 'Pick a queue',
  createdAt: '2026-04-01T09:00:00.000Z',
  updatedAt: '2026-04-03T10:00:00.000Z',
  team: { id: 't', key: 'ENG' },
  state: lState('Decided', 'completed'),
  creator: lUser('u-2', 'bo@x.io'),
  assignee: lUser('u-1', 'Ann@X.io'),
  labels: { nodes: [{ id: 'l-d', name: 'decision' }] },
  history: {
    nodes: [
      {
        id: 'h-1',
        createdAt: '2026-04-01T10:00:00.000Z',
        actor: lUser('u-2', 'bo@x.io'),
        fromState: lState('Todo', 'unstarted'),
        toState: lState('Needs Decision', 'started'),
        addedLabels: [{ id: 'l-d', name: 'decision' }],
      },
      {
        id: 'h-2',
        createdAt: '2026-04-02T10:00:00.000Z',
        actor: lUser('u-3', null),
        fromAssignee: null,
        toAssignee: lUser('u-1', 'Ann@X.io'),
        fromState: lState('Needs Decision', 'started'),
        toState: lState('Escalated', 'started'),
      },
      {
        id: 'h-3',
        createdAt: '2026-04-03T10:00:00.000Z',
        actor: lUser('u-1', 'Ann@X.io'),
        fromState: lState('Escalated', 'started'),
        toState: lState('Decided', 'completed'),
        removedLabels: [],
      },
    ],
  },
  relations: { nodes: [linearRelation] },
}
const linearCycle = {
  id: 'c-1',
  number: 7,
  name: null,
  startsAt: '2026-04-01T00:00:00.000Z',
  endsAt: '2026-04-15T00:00:00.000Z',
  completedAt: null,
  scopeHistory: [10, 12, 11],
  completedScopeHistory: [0, 4, 6],
  issueCountHistory: [5, 7, 6],
  completedIssueCountHistory: [0, 2, 3],
  team: { key: 'ENG' },
}
const linearWebhook = {
  action: 'update',
  type: 'Issue',
  createdAt: '2026-04-02T10:00:00.000Z',
  data: {
    id: 'i-1',
    identifier: 'ENG-1',
    title: 'Pick a queue',
    createdAt: '2026-04-01T09:00:00.000Z',
    updatedAt: '2026-04-02T10:00:00.000Z',
    stateId: 's-Decided',
    state: lState('Decided', 'completed'),
    team: { id: 't', key: 'ENG' },
    // as Linear sends them: people by id (IssueWebhookPayload.creatorId / assigneeId), no user objects
    creatorId: 'u-2',
    assigneeId: 'u-1',
    labels: [
      { id: 'l-d', name: 'decision' },
      { id: 'l-e', name: 'Escalated' },
    ],
    labelIds: ['l-d', 'l-e'],
  },
  updatedFrom: { stateId: 's-In Progress', labelIds: ['l-d'] },
  actor: { id: 'u-1', email: 'Ann@X.io', type: 'user' },
  webhookTimestamp: 1,
}

const calendarOccurrence = {
  ...googleOccurrence,
  classification: { class: 'ritual', ritual: 'weekly product sync' },
}

const decisionRecord = {
  id: 'D1',
  title: 'Pick a queue',
  raisedBy: 'Ann@X.io',
  raisedAt: '2026-07-01T09:30:00Z',
  status: 'superseded',
  decidedBy: 'mia@x.io',
  decidedAt: '2026-07-03',
  escalatedTo: ['dir@x.io', 'ceo@x.io'],
  escalatedAt: '2026-07-02T00:00:00+02:00',
  team: 'u:dir@x.io',
  tags: 'infra;queues',
  links: ['superseded-by:D9', 'https://x.io/adr/1'],
  updatedAt: '2026-07-10T00:00:00Z',
}

const envelope = (source: string, entity: string, payload: unknown, meta?: Record<string, unknown>) => ({
  source,
  entity,
  sourceId: 'src-1',
  fetchedAt: '2026-05-01T00:00:00.000Z',
  ...(meta ? { meta } : {}),
  payload,
})

/** `/rest/agile/1.0/board/{id}/sprint` + `/rest/agile/1.0/sprint/{id}/issue?expand=changelog`, cut down by the connector */
const jiraSprint = {
  sprint: {
    id: 12,
    self: 'https://acme.atlassian.net/rest/agile/1.0/sprint/12',
    state: 'closed',
    name: 'ENG Sprint 12',
    startDate: '2026-03-02T09:00:00.000Z',
    endDate: '2026-03-13T17:00:00.000Z',
    completeDate: '2026-03-13T17:05:00.000Z',
    originBoardId: 7,
    goal: '',
  },
  issues: [
    {
      id: '10001',
      key: 'ENG-1',
      fields: {
        created: '2026-03-01T10:00:00.000+0000',
        status: { id: '10005', name: 'Done', statusCategory: { key: 'done' } },
        project: { key: 'ENG' },
      },
      changelog: {
        total: 2,
        histories: [
          {
            id: '1',
            created: '2026-03-01T11:00:00.000+0000',
            items: [
              {
                field: 'Sprint',
                fieldtype: 'custom',
                fieldId: 'customfield_10020',
                from: '',
                fromString: '',
                to: '12',
                toString: 'ENG Sprint 12',
              },
            ],
          },
          {
            id: '2',
            created: '2026-03-09T11:00:00.000+0000',
            items: [
              {
                field: 'status',
                fieldtype: 'jira',
                fieldId: 'status',
                from: '10001',
                fromString: 'To Do',
                to: '10005',
                toString: 'Done',
              },
            ],
          },
        ],
      },
    },
  ],
}

const REAL: Record<(typeof SOURCES)[number], unknown[]> = {
  decisions: [
    envelope('decisions', 'decision', decisionRecord, { log: 'adr' }),
    envelope('decisions', 'decision', { ...decisionRecord, status: 'withdrawn', links: undefined }),
    envelope('decisions', 'decision', { ...decisionRecord, status: 'reversed' }),
  ],
  jira: [
    envelope('jira', 'issue', jiraIssue, {
      instance: 'https://acme.atlassian.net',
      statusCategories: { '10001': 'new', '10002': 'indeterminate' },
    }),
    envelope('jira', 'webhook', jiraWebhook('jira:issue_updated'), { deliveryId: 'd-1' }),
    envelope('jira', 'webhook', jiraWebhook('jira:issue_created')),
    envelope('jira', 'webhook', jiraWebhook('jira:issue_deleted')),
    envelope('jira', 'sprint', jiraSprint, {
      instance: 'https://acme.atlassian.net',
      project: 'ENG',
      statusCategories: { '10001': 'new', '10005': 'done' },
    }),
    envelope('jira', 'synced', {
      scopeKind: 'project',
      scope: 'ENG',
      mode: 'incremental',
      coveredFrom: null,
      coveredTo: '2026-05-01T00:00:00.000Z',
      teams: ['u:erin@acme.com'],
    }),
  ],
  linear: [
    envelope('linear', 'issue', linearIssue),
    envelope('linear', 'relation', linearRelation),
    envelope('linear', 'relation.removed', linearRelation),
    envelope('linear', 'cycle', linearCycle),
    envelope('linear', 'webhook', linearWebhook),
    envelope('linear', 'webhook', { ...linearWebhook, action: 'create', updatedFrom: undefined }),
    envelope('linear', 'synced', {
      scopeKind: 'team',
      scope: 'ENG',
      mode: 'full',
      coveredFrom: null,
      coveredTo: '2026-05-01T00:00:00.000Z',
      teams: ['u:eng-lead@acme.com'],
    }),
  ],
  calendar: [
    envelope('calendar', 'event', calendarOccurrence, { calendar: 'ana@acme.com', via: 'google' }),
    envelope(
      'calendar',
      'event',
      { ...calendarOccurrence, status: 'cancelled' },
      { calendar: 'mgr@acme.com', via: 'ics' },
    ),
    envelope(
      'calendar',
      'event',
      {
        ...calendarOccurrence,
        start: { date: '2026-03-30' },
        end: { date: '2026-03-31' },
        originalStartTime: undefined,
      },
      { calendar: 'ana@acme.com', via: 'google' },
    ),
    envelope('calendar', 'synced', {
      scopeKind: 'calendar',
      scope: 'ana@acme.com',
      mode: 'full',
      coveredFrom: '2026-02-01T00:00:00.000Z',
      coveredTo: '2026-05-29T00:00:00.000Z',
    }),
  ],
}

const ENTITIES = [
  'decision',
  'issue',
  'webhook',
  'relation',
  'relation.removed',
  'cycle',
  'sprint',
  'event',
  'team',
  'user',
  'changelog',
  'synced',
]

const bytesOf = (v: unknown): Buffer => Buffer.from(JSON.stringify(v) ?? 'undefined', 'utf8')

describe('transformBytes never crashes: canonical events or a RejectedRecord with a reason', () => {
  it('the real-shaped envelopes themselves map to valid events (the base of the mutations)', () => {
    for (const config of CONFIGS) {
      for (const list of Object.values(REAL)) {
        for (const env of list) expect(transformOrReject(bytesOf(env), config).kind).toBe('events')
      }
    }
  })

  it('arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), configArb, (bytes, config) => {
        transformOrReject(Buffer.from(bytes), config)
      }),
      { numRuns: runs(300) },
    )
  })

  it('arbitrary JSON documents', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), configArb, (json, config) => {
        // a bare JSON value is never an envelope
        expect(transformOrReject(bytesOf(json), config).kind).toBe('rejected')
      }),
      { numRuns: runs(300) },
    )
  })

  for (const source of SOURCES) {
    describe(`source ${source}`, () => {
      it('envelopes with arbitrary entity, meta and payload', () => {
        const payload = fc.oneof(
          junk,
          // objects that carry the field names the mappers read, with arbitrary values
          fc.dictionary(
            fc.constantFrom(
              'id',
              'key',
              'fields',
              'changelog',
              'timestamp',
              'webhookEvent',
              'user',
              'issue',
              'title',
              'raisedBy',
              'raisedAt',
              'status',
              'decidedBy',
              'decidedAt',
              'identifier',
              'createdAt',
              'updatedAt',
              'team',
              'state',
              'history',
              'labels',
              'relations',
              'action',
              'type',
              'data',
              'updatedFrom',
              'iCalUID',
              'start',
              'end',
              'classification',
              'attendees',
              'organizer',
              'scopeHistory',
              'startsAt',
              'endsAt',
              'number',
            ),
            junk,
            { maxKeys: 12 },
          ),
        )
        const env = fc.record(
          {
            source: fc.constant(source),
            entity: fc.oneof(fc.constantFrom(...ENTITIES), weirdString),
            sourceId: fc.oneof(fc.constant('src-1'), weirdString),
            fetchedAt: fc.oneof(fc.constant('2026-05-01T00:00:00.000Z'), weirdString),
            meta: fc.dictionary(
              fc.constantFrom('calendar', 'via', 'log', 'statusCategories', 'instance', 'x'),
              junk,
              { maxKeys: 4 },
            ),
            payload,
          },
          { requiredKeys: ['source', 'entity', 'sourceId', 'fetchedAt'] },
        )
        fc.assert(
          fc.property(env, configArb, (e, config) => {
            transformOrReject(bytesOf(e), config)
          }),
          { numRuns: runs(250) },
        )
      })

      it('near-valid envelopes: real shapes with fields dropped, nulled, retyped, oversized, unicode, odd dates', () => {
        const base = fc.constantFrom(...REAL[source])
        fc.assert(
          fc.property(
            base,
            fc.array(mutation, { minLength: 1, maxLength: 4 }),
            configArb,
            (env, ms, config) => {
              const mutated = ms.reduce<unknown>((acc, m) => applyMutation(acc, m), env)
              transformOrReject(bytesOf(mutated), config)
            },
          ),
          { numRuns: runs(1500) },
        )
      })

      it('near-valid bytes: real envelopes with bytes flipped, cut or inserted', () => {
        const base = fc.constantFrom(...REAL[source]).map(bytesOf)
        const edit = fc.record({
          at: fc.nat(),
          kind: fc.constantFrom('flip', 'cut', 'insert'),
          byte: fc.integer({ min: 0, max: 255 }),
        })
        fc.assert(
          fc.property(
            base,
            fc.array(edit, { minLength: 1, maxLength: 3 }),
            configArb,
            (buf, edits, config) => {
              let b = Buffer.from(buf)
              for (const e of edits) {
                const i = e.at % (b.length + 1)
                if (e.kind === 'flip' && i < b.length) b[i] = e.byte
                else if (e.kind === 'cut') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)])
                else b = Buffer.concat([b.subarray(0, i), Buffer.from([e.byte]), b.subarray(i)])
              }
              transformOrReject(b, config)
            },
          ),
          { numRuns: runs(200) },
        )
      })
    })
  }
})
