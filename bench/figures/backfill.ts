import type { Figure } from '../format.ts'
import { runSection } from '../proc.ts'
import { small } from './scale.ts'

interface Side {
  issues: number
  stored: number
  requests: number
  over_budget: number
  refused: number
  window_ms: number
  windows: number
  budget_used_pct: number
  wall_s: number
  waited_s: number
  real_s: number
}

export interface BackfillResult {
  jira: Side & { points: number; window_points: number }
  linear: Side & { complexity: number; window_complexity: number; window_requests: number; binding: string }
}

const hours = (s: number) => `${(s / 3600).toFixed(1)} h`

export async function backfillFigures(): Promise<Figure[]> {
  const r = await runSection<BackfillResult>(
    'backfill',
    small ? { jiraIssues: 3_000, linearIssues: 1_000 } : { jiraIssues: 30_000, linearIssues: 10_000 },
  )
  const { jira: j, linear: l } = r
  const gj = `backfill: Jira Cloud, ${j.issues} issues × 1 year (points quota ${j.window_points} per ${j.window_ms} ms window = half this machine's unthrottled rate)`
  const gl = `backfill: Linear, ${l.issues} issues × 1 year (${l.window_complexity} complexity / ${l.window_requests} requests per ${l.window_ms} ms window)`
  const used = Math.min(j.budget_used_pct, l.budget_used_pct)
  return [
    {
      group: gj,
      name: `budget used over ${j.windows} full windows`,
      value: j.budget_used_pct,
      unit: '%',
      target: '≥ 90',
      ok: j.budget_used_pct >= 90,
    },
    {
      group: gj,
      name: 'answers over budget (429)',
      value: j.over_budget,
      unit: '',
      target: '0',
      ok: j.over_budget === 0,
    },
    {
      group: gj,
      name: 'issues stored / on the site',
      value: `${j.stored} / ${j.issues}`,
      unit: '',
      ok: j.stored === j.issues,
    },
    { group: gj, name: 'requests / points spent', value: `${j.requests} / ${j.points}`, unit: '' },
    {
      group: gj,
      name: 'wall time (of it waiting for the budget)',
      value: `${j.wall_s} (${j.waited_s})`,
      unit: 's',
    },
    {
      group: gj,
      // a site starts the hour with its whole quota: what fits in it is bound by latency, not by it
      name: `a real site at the pace of the published 100,100 points/h (${hours(j.real_s)}${j.points <= 100_100 ? '; fits one hour’s quota' : ''})`,
      value: j.real_s,
      unit: 's',
      key: 'backfill_jira_real_s',
    },
    {
      group: gl,
      name: `${l.binding} budget used over ${l.windows} full windows`,
      value: l.budget_used_pct,
      unit: '%',
      target: '≥ 90',
      ok: l.budget_used_pct >= 90,
    },
    {
      group: gl,
      name: 'answers over budget (RATELIMITED)',
      value: l.over_budget,
      unit: '',
      target: '0',
      ok: l.over_budget === 0,
    },
    {
      group: gl,
      name: 'issues stored / in the workspace',
      value: `${l.stored} / ${l.issues}`,
      unit: '',
      ok: l.stored === l.issues,
    },
    { group: gl, name: 'requests / complexity spent', value: `${l.requests} / ${l.complexity}`, unit: '' },
    {
      group: gl,
      name: 'wall time (of it waiting for the budget)',
      value: `${l.wall_s} (${l.waited_s})`,
      unit: 's',
    },
    {
      group: gl,
      name: `a real workspace at the published 1,500 requests + 250,000 points/h (${hours(l.real_s)})`,
      value: l.real_s,
      unit: 's',
      key: 'backfill_linear_real_s',
    },
    {
      group: 'backfill',
      name: 'budget used, the lower of Jira and Linear',
      value: used,
      unit: '%',
      target: '≥ 90',
      ok: used >= 90 && j.over_budget === 0 && l.over_budget === 0,
      key: 'backfill_budget_used',
    },
  ]
}
