import type { OrgpulseConfig } from '@orgpulse/contracts'
import { METRICS } from './catalog.ts'
import type { MetricDef, ScopeMetrics } from './types.ts'

/**
 * Who a result is computed for. The CLI and other local operator paths are `admin`; the api
 * passes the token's org, so a metric about one person reaches only that person's own org.
 */
export type Viewer = { kind: 'admin' } | { kind: 'org'; org: string }
export const ADMIN_VIEWER: Viewer = { kind: 'admin' }

/** A unit of the org chart with its judged figures, as complementary suppression sees it. */
export interface SuppressionNode {
  id: string
  /** '' or null for a top unit */
  parent: string | null
  judged: ScopeMetrics
}

/**
 * Metrics whose value over a unit is a headcount-weighted combination of its parts (per-person
 * means over covered people, ratios of sums): parent × n − Σ children × nᵢ gives the rest exactly.
 * Only people-based metrics are ever withheld for privacy, so only they need complements; the
 * individual metric has its own rule (`individualReason`).
 */
export const SUPPRESSIBLE: readonly MetricDef[] = METRICS.filter((m) => m.peopleBased && !m.individual)

/** The number of people a scope's value rests on: calendar metrics are measured over covered people. */
const weight = (s: ScopeMetrics, m: MetricDef): number =>
  m.requires === 'calendar' ? s.coverage.calendar.covered : s.people

/** hidden for privacy: the value describes fewer than minGroupSize people */
function isSensitive(s: ScopeMetrics, m: MetricDef, min: number): boolean {
  const reason = s.withheld[m.id] ?? ''
  if (s.metrics[m.id] !== null && s.metrics[m.id] !== undefined) return false
  if (reason.startsWith('withheld:')) return true
  const w = weight(s, m)
  return reason.startsWith('partial_coverage:') && w > 0 && w < min
}

/**
 * Complementary suppression over a forest of units (DESIGN "Privacy": no withheld value may be
 * derived from the shown ones by subtraction). Each unit U is the weighted sum of a partition:
 * its child units plus its residual (people directly in U, e.g. the leader), which is never
 * published. Bottom-up, for every people-based metric: when a member of U's partition hides a
 * group under privacy.minGroupSize, the hidden members that cannot be recomputed from below must
 * number at least two and cover at least minGroupSize people together (else their combined
 * value, or the single one, is U's value minus the shown ones); the smallest shown sibling is
 * withheld until that holds, and when no sibling is left, U's own value is withheld and U counts
 * as a privacy-hidden member of its parent's partition. Withholding more never makes another
 * value derivable, so a bottom-up pass is enough. Mutates the nodes' judged figures.
 */
export function suppressComplementary(nodes: SuppressionNode[], config: OrgpulseConfig): void {
  const min = config.privacy.minGroupSize
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const children = new Map<string, SuppressionNode[]>()
  const roots: SuppressionNode[] = []
  for (const n of nodes) {
    const p = n.parent && byId.has(n.parent) ? n.parent : null
    if (p === null) roots.push(n)
    else children.set(p, [...(children.get(p) ?? []), n])
  }
  for (const m of SUPPRESSIBLE) {
    // opaque: U's value cannot be recomputed from its own parts (something in it is hidden)
    const opaque = new Set<string>()
    // U must stay underivable from above: it was withheld to protect its own parts
    const forced = new Set<string>()
    const visit = (u: SuppressionNode): void => {
      const kids = children.get(u.id) ?? []
      for (const k of kids) visit(k)
      const uw = weight(u.judged, m)
      const residual = Math.max(0, uw - kids.reduce((a, k) => a + weight(k.judged, m), 0))
      // a too-few value is not a secret (it is withheld for its small sample, not to protect
      // anyone): it covers nothing, so it counts as shown and may itself have to be withheld
      const hidden = (k: SuppressionNode) =>
        (k.judged.metrics[m.id] ?? null) === null && !(k.judged.withheld[m.id] ?? '').startsWith('too_few:')
      const effective = kids.filter((k) => hidden(k) && weight(k.judged, m) > 0 && opaque.has(k.id))
      const sensitive =
        (residual > 0 && residual < min) ||
        kids.some((k) => weight(k.judged, m) > 0 && (isSensitive(k.judged, m, min) || forced.has(k.id)))
      const size = () => residual + effective.reduce((a, k) => a + weight(k.judged, m), 0)
      const count = () => (residual > 0 ? 1 : 0) + effective.length
      if (residual > 0 || effective.length > 0) opaque.add(u.id)
      // a unit hidden for privacy already keeps its parts unknown; one hidden for coverage
      // alone may still be derivable from above, so its parts are protected like a shown one's
      if (!sensitive || isSensitive(u.judged, m, min)) return
      while (count() < 2 || size() < min) {
        const candidates = kids
          .filter((k) => !hidden(k) && opaque.has(k.id) && weight(k.judged, m) > 0)
          .sort((a, b) => weight(a.judged, m) - weight(b.judged, m) || a.id.localeCompare(b.id))
        const next = candidates[0]
        if (!next) {
          withhold(
            u.judged,
            m,
            `withheld: complementary suppression: with its teams shown, this value would reveal a withheld group of fewer than privacy.minGroupSize ${min} people in ${u.id} by subtraction`,
          )
          forced.add(u.id)
          return
        }
        withhold(
          next.judged,
          m,
          `withheld: complementary suppression: a sibling group in ${u.id} is below privacy.minGroupSize ${min}, and showing this one would reveal it by subtraction from ${u.id}`,
        )
        effective.push(next)
      }
    }
    for (const r of roots) visit(r)
  }
}

function withhold(s: ScopeMetrics, m: MetricDef, reason: string): void {
  s.metrics[m.id] = null
  // the n would count the group the value is withheld to protect
  s.samples[m.id] = null
  s.withheld[m.id] = reason
}

/** Why an individual metric of a scope led by `leader` is hidden from `viewer`, or null when it may be shown. */
export function individualReason(m: MetricDef, leader: string, viewer: Viewer): string | null {
  if (!m.individual) return null
  if (viewer.kind === 'admin' || viewer.org.trim().toLowerCase() === leader.trim().toLowerCase()) return null
  return `individual: describes one person (${leader}); shown only to a token for ${leader}'s own org and to admin tokens`
}

/** Applies the individual rule to one scope's figures for `viewer`. */
export function applyIndividual(s: ScopeMetrics, leader: string, viewer: Viewer): void {
  for (const m of METRICS) {
    const reason = individualReason(m, leader, viewer)
    if (reason !== null) withhold(s, m, reason)
  }
}
