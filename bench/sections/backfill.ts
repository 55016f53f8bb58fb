/**
 * A year's backfill at the vendor's pace: a 30,000-issue Jira Cloud site (the fake's points
 * quota) and a 10,000-issue Linear workspace (its request and complexity budgets), each synced
 * by the real connector through the real retrying client, with the vendor's hour compressed to a
 * window of seconds. The budget per window is half of what this machine reaches unthrottled
 * (measured first on a tenth of the data), so the budget binds and not the machine; the figure is
 * how much of it orgpulse used, and whether the vendor ever had to refuse a request. The real
 * site's time follows from what was spent and the published limits.
 */

import { JiraClient, JiraHttp, syncJira } from '@orgpulse/connector-jira'
import { LinearClient, syncLinear } from '@orgpulse/connector-linear'
import { type JiraConfig, jiraConfigSchema, linearConfigSchema, rawTopic } from '@orgpulse/contracts'
import { type FakeIssueSeed, startFakeJira } from '@orgpulse/fakes/jira'
import { linearTestSeed, startFakeLinear } from '@orgpulse/fakes/linear'
import type { Bus, BusMessage } from '@orgpulse/kafka'
import { round } from '../format.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as { jiraIssues?: number; linearIssues?: number }
const JIRA_ISSUES = Number(args.jiraIssues ?? 30_000)
const LINEAR_ISSUES = Number(args.linearIssues ?? 10_000)

/**
 * The published limits the real time is computed from. Jira Cloud: the points quota per hour
 * (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/); 100,100 is a live
 * tenant-app quota (`"tenant-app-quota";q=100100;w=3600`, quoted in
 * https://community.developer.atlassian.com/t/2026-point-based-rate-limits/97828). Linear:
 * 1,500 requests and 250,000 complexity points per hour for an API key
 * (https://linear.app/developers/rate-limiting).
 */
export const PUBLISHED = {
  jiraPointsPerHour: 100_100,
  linearRequestsPerHour: 1_500,
  linearComplexityPerHour: 250_000,
}

const YEAR_START = Date.UTC(2025, 11, 1)
const YEAR_MS = 365 * 86_400_000
const STATUSES = ['In Progress', 'To Do', 'In Progress', 'Done']

/** a bus that keeps only the keys it was given: what was stored, without holding the year */
function countingBus(): Bus & { keys: Map<string, Set<string>> } {
  const keys = new Map<string, Set<string>>()
  return {
    keys,
    async publish(topic: string, messages: BusMessage[]) {
      const set = keys.get(topic) ?? new Set<string>()
      for (const m of messages) if (m.key) set.add(m.key)
      keys.set(topic, set)
    },
  } as unknown as Bus & { keys: Map<string, Set<string>> }
}

const noCursors = { get: async () => null, set: async () => {} }

// --- Jira -------------------------------------------------------------------------------------

const JIRA_PROJECTS = ['ENG', 'OPS', 'WEB', 'APP', 'DATA', 'SEC']

async function jiraSite(issues: number, rateLimit: { points: number; windowMs: number; origin: number }) {
  const reporter = 'acc-ivan'
  const seeds: FakeIssueSeed[] = []
  for (let n = 0; n < issues; n++) {
    const project = JIRA_PROJECTS[n % JIRA_PROJECTS.length]!
    seeds.push({
      key: `${project}-${Math.floor(n / JIRA_PROJECTS.length) + 1}`,
      reporter,
      type: n % 10 === 0 ? 'Decision' : 'Task',
      created: new Date(YEAR_START + Math.floor((n / issues) * YEAR_MS)).toISOString(),
    })
  }
  const fake = await startFakeJira({
    users: [{ accountId: reporter, displayName: 'Ivan', emailAddress: 'ivan@acme.test' }],
    projects: JIRA_PROJECTS.map((key) => ({ key })),
    issues: seeds,
    rateLimit,
  })
  // a few transitions each; one issue in fifty with more than the 20 histories search returns
  // inline, so the bulk changelog is part of the backfill
  for (const [n, s] of seeds.entries()) {
    const histories = n % 50 === 0 ? 24 : 1 + (n % 4)
    const created = Date.parse(s.created!)
    for (let h = 0; h < histories; h++)
      fake.transition(s.key, STATUSES[h % STATUSES.length]!, {
        by: reporter,
        at: created + (h + 1) * 3_600_000,
      })
  }
  return fake
}

const jiraConfig = (): JiraConfig =>
  jiraConfigSchema.parse({ projects: JIRA_PROJECTS, teams: [], sync: { sprints: false } })

async function syncSite(url: string) {
  const http = new JiraHttp({
    baseUrl: url,
    auth: { kind: 'basic', email: 'bot@example.com', token: 'api-token', describe: 'bench' },
  })
  const bus = countingBus()
  const t = performance.now()
  const result = await syncJira({
    client: new JiraClient(http),
    bus,
    cursors: noCursors as never,
    durable: async () => {},
    config: jiraConfig(),
    instance: url,
  })
  return {
    ms: performance.now() - t,
    result,
    stored: [...(bus.keys.get(rawTopic('jira')) ?? [])].filter((k) => /^[A-Z]+-\d+$/.test(k)).length,
    waitedMs: http.waitedMs,
  }
}

async function jira() {
  // unthrottled on a tenth: what this machine reaches
  const probeIssues = Math.max(600, Math.round(JIRA_ISSUES / 10))
  const probe = await jiraSite(probeIssues, { points: 1e12, windowMs: 3_600_000, origin: Date.now() })
  const p = await syncSite(probe.url)
  const probeRate = probe.rateLimit!.spent / (p.ms / 1000)
  await probe.close()

  // half of it per window; a window holds at least 20 pages of 100 issues (101 points each)
  const perSecond = probeRate / 2
  const windowMs = Math.max(1000, Math.ceil((20 * 101 * 1000) / perSecond))
  const points = Math.floor((perSecond * windowMs) / 1000)
  const fake = await jiraSite(JIRA_ISSUES, { points, windowMs, origin: 0 })
  // the first window opens as the backfill starts, not while the site was being seeded
  const origin = Date.now()
  fake.rateLimit!.origin = origin
  fake.rateLimit!.spentByWindow.clear()
  const r = await syncSite(fake.url)
  const rl = fake.rateLimit!
  const ended = Date.now()
  // the windows the backfill had demand in throughout: from its first to the one it ended in
  const first = Math.min(...rl.spentByWindow.keys())
  const lastFull = Math.floor((ended - origin) / windowMs) - 1
  let spentFull = 0
  for (let k = first; k <= lastFull; k++) spentFull += rl.spentByWindow.get(k) ?? 0
  const fullWindows = Math.max(0, lastFull - first + 1)
  const over = rl.overBudget
  const refused = fake.requests.filter((q) => q.status === 429).length
  await fake.close()
  return {
    issues: JIRA_ISSUES,
    stored: r.stored,
    requests: r.result.requests,
    points: rl.spent,
    over_budget: over,
    refused,
    window_ms: windowMs,
    window_points: points,
    windows: fullWindows,
    budget_used_pct: round(fullWindows > 0 ? (100 * spentFull) / (points * fullWindows) : Number.NaN),
    wall_s: round(r.ms / 1000),
    waited_s: round(r.waitedMs / 1000),
    probe_points_per_s: round(probeRate),
    real_s: round((rl.spent / PUBLISHED.jiraPointsPerHour) * 3600),
  }
}

// --- Linear -----------------------------------------------------------------------------------

function linearSeed(issues: number) {
  // the test workspace's 6 named issues (4 in ENG) and fillers spread over the year, each with
  // two state changes
  const seed = linearTestSeed({ fillerIssues: Math.max(0, issues - 6) })
  const fillers = seed.issues.filter((i) => i.id.startsWith('i-eng-f'))
  for (const [k, i] of fillers.entries()) {
    const at = YEAR_START + Math.floor((k / fillers.length) * YEAR_MS)
    i.createdAt = new Date(at).toISOString()
    seed.history ??= []
    seed.history.push(
      {
        id: `h-f${k}-1`,
        issueId: i.id,
        createdAt: new Date(at + 3_600_000).toISOString(),
        actorId: 'u-dave',
        fromStateId: 's-eng-backlog',
        toStateId: 's-eng-in-progress',
      },
      {
        id: `h-f${k}-2`,
        issueId: i.id,
        createdAt: new Date(at + 86_400_000).toISOString(),
        actorId: 'u-dave',
        fromStateId: 's-eng-in-progress',
        toStateId: 's-eng-done',
      },
    )
  }
  return seed
}

async function syncWorkspace(
  issues: number,
  limits: { requestsLimit: number; complexityLimit: number; windowMs: number },
) {
  const fake = await startFakeLinear(linearSeed(issues), { limits })
  const client = new LinearClient({
    url: fake.url,
    credential: { kind: 'apiKey', value: fake.apiKey, envName: 'LINEAR_API_KEY' },
  })
  const bus = countingBus()
  const t = performance.now()
  await syncLinear({
    client,
    bus,
    cursors: noCursors,
    durable: async () => {},
    config: linearConfigSchema.parse({
      teams: { ENG: 'u:eng-lead@acme.test', PLAT: 'u:plat-lead@acme.test' },
    }),
    now: Date.now,
  })
  const ms = performance.now() - t
  const stored = [...(bus.keys.get(rawTopic('linear')) ?? [])].filter((k) => k.startsWith('i-')).length
  return { fake, client, ms, stored }
}

async function linear() {
  const probeIssues = Math.max(300, Math.round(LINEAR_ISSUES / 10))
  const p = await syncWorkspace(probeIssues, {
    requestsLimit: 1e9,
    complexityLimit: 1e12,
    windowMs: 3_600_000,
  })
  const probeComplexity = p.fake.budget.windows.reduce((s, w) => s + w.complexity, 0)
  const probeRate = probeComplexity / (p.ms / 1000)
  const costliest = Math.max(...p.fake.log.map((l) => l.complexity))
  await p.fake.close()

  // half the machine's rate; a window holds at least 20 of the costliest queries; the requests
  // budget in the published proportion to the complexity budget
  const perSecond = probeRate / 2
  const windowMs = Math.max(2000, Math.ceil((20 * costliest * 1000) / perSecond))
  const complexityLimit = Math.floor((perSecond * windowMs) / 1000)
  const requestsLimit = Math.max(
    1,
    Math.floor((complexityLimit * PUBLISHED.linearRequestsPerHour) / PUBLISHED.linearComplexityPerHour),
  )
  const r = await syncWorkspace(LINEAR_ISSUES, { requestsLimit, complexityLimit, windowMs })
  const windows = r.fake.budget.windows
  // every window but the one the backfill ended in; its time includes any gap before the next
  const full = windows.slice(0, -1)
  const spanMs = windows.length > 1 ? windows[windows.length - 1]!.start - windows[0]!.start : Number.NaN
  const sum = (f: (w: (typeof windows)[number]) => number) => full.reduce((s, w) => s + f(w), 0)
  const allowed = spanMs / windowMs
  const complexityUsed = (100 * sum((w) => w.complexity)) / (complexityLimit * allowed)
  const requestsUsed = (100 * sum((w) => w.requests)) / (requestsLimit * allowed)
  const all = (f: (w: (typeof windows)[number]) => number) => windows.reduce((s, w) => s + f(w), 0)
  const complexity = all((w) => w.complexity)
  const requests = all((w) => w.requests)
  const over = r.fake.budget.overBudget
  const refused = r.fake.log.filter((l) => l.refused).length
  await r.fake.close()
  return {
    issues: LINEAR_ISSUES,
    stored: r.stored,
    requests,
    complexity,
    over_budget: over,
    refused,
    window_ms: windowMs,
    window_complexity: complexityLimit,
    window_requests: requestsLimit,
    windows: full.length,
    // the budget that binds is the one to use up
    budget_used_pct: round(Math.max(complexityUsed, requestsUsed)),
    binding: complexityUsed >= requestsUsed ? 'complexity' : 'requests',
    wall_s: round(r.ms / 1000),
    waited_s: round(r.client.waitedMs / 1000),
    probe_points_per_s: round(probeRate),
    real_s: round(
      Math.max(requests / PUBLISHED.linearRequestsPerHour, complexity / PUBLISHED.linearComplexityPerHour) *
        3600,
    ),
  }
}

async function main(): Promise<void> {
  const j = await jira()
  const l = await linear()
  process.stdout.write(`${JSON.stringify({ jira: j, linear: l })}\n`)
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`)
  process.exit(1)
})
