import type { LinearSeed, SeedHistory, SeedIssue, SeedState } from './model.ts'

/** Ids of the test workspace, for assertions. */
export const LINEAR_IDS = {
  users: { bob: 'u-bob', carol: 'u-carol', dave: 'u-dave', erin: 'u-erin' },
  teams: { eng: 't-eng', plat: 't-plat' },
  labels: { decision: 'l-decision', escalated: 'l-escalated', bug: 'l-bug' },
  issues: {
    decision: 'i-eng-1',
    regular: 'i-eng-2',
    blocked: 'i-eng-3',
    churny: 'i-eng-4',
    blocker: 'i-plat-1',
    platDecision: 'i-plat-2',
  },
  relations: { platBlocksEng: 'rel-1', sameTeam: 'rel-2', related: 'rel-3' },
  cycles: { engPoints: 'c-eng-1', engIssues: 'c-eng-2', engFuture: 'c-eng-3' },
} as const

/** the team's states: Linear gives every team its own workflow */
function statesFor(teamId: string, key: string): SeedState[] {
  const s = (name: string, type: string): SeedState => ({
    id: `s-${key}-${name.toLowerCase().replace(/ /g, '-')}`,
    teamId,
    name,
    type,
  })
  return [
    s('Backlog', 'backlog'),
    s('Todo', 'unstarted'),
    s('Needs Decision', 'unstarted'),
    s('In Progress', 'started'),
    s('Escalated', 'started'),
    s('Decided', 'completed'),
    s('Rejected', 'canceled'),
    s('Done', 'completed'),
    s('Canceled', 'canceled'),
  ]
}
export const stateId = (key: 'eng' | 'plat', name: string) =>
  `s-${key}-${name.toLowerCase().replace(/ /g, '-')}`

/**
 * A small workspace with every case the connector handles: a decision with an escalation and a
 * call, ordinary work, a cross-team blocker, an issue whose history needs several pages, filler
 * issues for pagination, and cycles (estimated, unestimated, not started).
 *
 * ENG cycle c-eng-1 (points): scopeHistory [20, 20, 23, 25, 25, 24], completed [0, 3, 8, 12, 15, 16]
 * → committed 20, completed 16, added 24 - 20 = 4: completion 0.8, scope added 0.2.
 * ENG cycle c-eng-2 (no estimates): issue counts [8, 9, 10] / [0, 4, 7] → 8, 7, 2.
 */
export function linearTestSeed(options: { fillerIssues?: number } = {}): LinearSeed {
  const { users, teams, labels, issues, relations, cycles } = LINEAR_IDS
  const eng = (
    n: number,
    rest: Partial<SeedIssue> & { id: string; title: string; createdAt: string; stateId: string },
  ): SeedIssue => ({ teamId: teams.eng, number: n, ...rest })
  const history: SeedHistory[] = [
    // ENG-1: a decision from creation (label), assigned to carol, escalated, decided by carol
    {
      id: 'h-1',
      issueId: issues.decision,
      createdAt: '2026-03-02T10:00:00.000Z',
      actorId: users.bob,
      fromStateId: stateId('eng', 'Todo'),
      toStateId: stateId('eng', 'In Progress'),
    },
    {
      id: 'h-2',
      issueId: issues.decision,
      createdAt: '2026-03-03T09:00:00.000Z',
      actorId: users.bob,
      fromAssigneeId: null,
      toAssigneeId: users.carol,
    },
    {
      id: 'h-3',
      issueId: issues.decision,
      createdAt: '2026-03-03T09:30:00.000Z',
      actorId: users.bob,
      addedLabelIds: [labels.escalated],
    },
    {
      id: 'h-4',
      issueId: issues.decision,
      createdAt: '2026-03-04T15:00:00.000Z',
      actorId: users.carol,
      fromStateId: stateId('eng', 'In Progress'),
      toStateId: stateId('eng', 'Decided'),
    },
    // ENG-2: ordinary work
    {
      id: 'h-5',
      issueId: issues.regular,
      createdAt: '2026-03-05T09:00:00.000Z',
      actorId: users.dave,
      fromStateId: stateId('eng', 'Todo'),
      toStateId: stateId('eng', 'In Progress'),
    },
    {
      id: 'h-6',
      issueId: issues.regular,
      createdAt: '2026-03-06T17:00:00.000Z',
      actorId: users.dave,
      fromStateId: stateId('eng', 'In Progress'),
      toStateId: stateId('eng', 'Done'),
    },
  ]
  // ENG-4: 30 state changes, more than one nested history page (25)
  for (let k = 0; k < 30; k++) {
    const toInProgress = k % 2 === 0
    history.push({
      id: `h-churn-${String(k).padStart(2, '0')}`,
      issueId: issues.churny,
      createdAt: new Date(Date.parse('2026-04-01T08:00:00.000Z') + k * 3600_000).toISOString(),
      actorId: users.dave,
      fromStateId: stateId('eng', toInProgress ? 'Todo' : 'In Progress'),
      toStateId: stateId('eng', toInProgress ? 'In Progress' : 'Todo'),
    })
  }
  const filler: SeedIssue[] = Array.from({ length: options.fillerIssues ?? 40 }, (_, k) =>
    eng(100 + k, {
      id: `i-eng-f${k}`,
      title: `Filler ${k}`,
      createdAt: new Date(Date.parse('2026-02-01T00:00:00.000Z') + k * 60_000).toISOString(),
      stateId: stateId('eng', 'Backlog'),
      creatorId: users.dave,
    }),
  )
  return {
    apiKey: 'lin_api_test_key',
    oauthToken: 'lin_oauth_test_token',
    users: [
      { id: users.bob, name: 'Bob', email: 'Bob@Example.com' },
      { id: users.carol, name: 'Carol', email: 'carol@example.com' },
      { id: users.dave, name: 'Dave', email: 'dave@example.com' },
      { id: users.erin, name: 'Erin', email: 'erin@example.com' },
    ],
    teams: [
      { id: teams.eng, key: 'ENG', name: 'Engineering' },
      { id: teams.plat, key: 'PLAT', name: 'Platform' },
    ],
    states: [...statesFor(teams.eng, 'eng'), ...statesFor(teams.plat, 'plat')],
    labels: [
      { id: labels.decision, name: 'Decision' },
      { id: labels.escalated, name: 'escalated' },
      { id: labels.bug, name: 'bug' },
    ],
    issues: [
      eng(1, {
        id: issues.decision,
        title: 'Pick the event queue',
        createdAt: '2026-03-02T09:00:00.000Z',
        updatedAt: '2026-03-04T15:00:00.000Z',
        stateId: stateId('eng', 'Decided'),
        creatorId: users.bob,
        assigneeId: users.carol,
        labelIds: [labels.decision, labels.escalated],
        completedAt: '2026-03-04T15:00:00.000Z',
      }),
      eng(2, {
        id: issues.regular,
        title: 'Ordinary work',
        createdAt: '2026-03-04T09:00:00.000Z',
        updatedAt: '2026-03-06T17:00:00.000Z',
        stateId: stateId('eng', 'Done'),
        creatorId: users.dave,
        assigneeId: users.dave,
        completedAt: '2026-03-06T17:00:00.000Z',
        estimate: 3,
      }),
      eng(3, {
        id: issues.blocked,
        title: 'Needs the platform API',
        createdAt: '2026-03-05T09:00:00.000Z',
        stateId: stateId('eng', 'In Progress'),
        creatorId: users.dave,
      }),
      eng(4, {
        id: issues.churny,
        title: 'Back and forth',
        createdAt: '2026-04-01T07:00:00.000Z',
        updatedAt: '2026-04-02T13:00:00.000Z',
        stateId: stateId('eng', 'Todo'),
        creatorId: users.dave,
      }),
      {
        id: issues.blocker,
        teamId: teams.plat,
        number: 1,
        title: 'Platform API',
        createdAt: '2026-03-05T08:00:00.000Z',
        stateId: stateId('plat', 'In Progress'),
        creatorId: users.erin,
      },
      {
        id: issues.platDecision,
        teamId: teams.plat,
        number: 2,
        title: 'Choose a region',
        createdAt: '2026-03-10T08:00:00.000Z',
        stateId: stateId('plat', 'Needs Decision'),
        creatorId: users.erin,
      },
      ...filler,
    ],
    history,
    relations: [
      {
        id: relations.platBlocksEng,
        type: 'blocks',
        issueId: issues.blocker,
        relatedIssueId: issues.blocked,
        createdAt: '2026-03-05T10:00:00.000Z',
      },
      {
        id: relations.sameTeam,
        type: 'blocks',
        issueId: issues.regular,
        relatedIssueId: issues.blocked,
        createdAt: '2026-03-05T11:00:00.000Z',
      },
      {
        id: relations.related,
        type: 'related',
        issueId: issues.decision,
        relatedIssueId: issues.regular,
        createdAt: '2026-03-05T12:00:00.000Z',
      },
    ],
    cycles: [
      {
        id: cycles.engPoints,
        teamId: teams.eng,
        number: 1,
        name: 'Sprint 1',
        startsAt: '2026-03-02T00:00:00.000Z',
        endsAt: '2026-03-08T00:00:00.000Z',
        completedAt: '2026-03-08T00:00:00.000Z',
        scopeHistory: [20, 20, 23, 25, 25, 24],
        completedScopeHistory: [0, 3, 8, 12, 15, 16],
        issueCountHistory: [7, 7, 8, 9, 9, 9],
        completedIssueCountHistory: [0, 1, 3, 4, 6, 6],
        updatedAt: '2026-03-08T00:00:00.000Z',
      },
      {
        id: cycles.engIssues,
        teamId: teams.eng,
        number: 2,
        startsAt: '2026-03-09T00:00:00.000Z',
        endsAt: '2026-03-12T00:00:00.000Z',
        completedAt: '2026-03-12T00:00:00.000Z',
        scopeHistory: [0, 0, 0],
        completedScopeHistory: [0, 0, 0],
        issueCountHistory: [8, 9, 10],
        completedIssueCountHistory: [0, 4, 7],
        updatedAt: '2026-03-12T00:00:00.000Z',
      },
      {
        id: cycles.engFuture,
        teamId: teams.eng,
        number: 3,
        startsAt: '2099-01-01T00:00:00.000Z',
        endsAt: '2099-01-15T00:00:00.000Z',
        scopeHistory: [],
        completedScopeHistory: [],
        issueCountHistory: [],
        completedIssueCountHistory: [],
      },
    ],
  }
}
