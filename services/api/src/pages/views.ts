import { type DecisionItem, type DependencyItem, metricById } from '@orgpulse/metrics'
import type { Director } from '@orgpulse/org'
import { type Figure, pageHref, type ScopeData, type Status } from './data.ts'
import {
  cellClass,
  esc,
  figureText,
  fmt,
  fmtDelta,
  layout,
  rangePicker,
  tileHtml,
  windowText,
} from './html.ts'
import { isoDay, type PageRange, quarterOf } from './range.ts'

export interface Names {
  people: Map<string, string>
  units: Map<string, string>
}

const person = (names: Names, id: string | null): string => {
  if (!id) return '<span class="cell-empty">—</span>'
  const name = names.people.get(id)
  return name ? `${esc(name)} <span class="sub">(${esc(id)})</span>` : esc(id)
}
const unitName = (names: Names, id: string): string => esc(names.units.get(id) ?? id)

/** the weekly charts: which catalog metrics each one draws */
export const CHARTS: { key: string; title: string; unit: string; metrics: string[]; page: string }[] = [
  {
    key: 'decided',
    title: 'Decisions decided and open',
    unit: 'count',
    metrics: ['decisions_decided', 'decisions_open'],
    page: '',
  },
  {
    key: 'latency',
    title: 'Decision latency',
    unit: 'hours',
    metrics: ['decision_latency_p50_hours', 'decision_latency_p90_hours'],
    page: '',
  },
  {
    key: 'escalation',
    title: 'Escalation and centralisation',
    unit: 'ratio',
    metrics: ['escalation_rate', 'centralization'],
    page: '',
  },
  { key: 'blockers', title: 'Open cross-team blockers', unit: 'count', metrics: ['blockers_open'], page: '' },
  {
    key: 'blocker_age',
    title: 'Blocker age',
    unit: 'days',
    metrics: ['blocker_age_p50_days', 'blocker_age_p90_days'],
    page: '',
  },
  {
    key: 'meetings',
    title: 'Meeting and focus hours per person',
    unit: 'hours_per_week',
    metrics: ['meeting_hours_per_person_week', 'focus_hours_per_person_week'],
    page: 'load',
  },
  { key: 'rituals', title: 'Ritual adherence', unit: 'ratio', metrics: ['ritual_adherence'], page: 'load' },
  {
    key: 'planning',
    title: 'Cycle completion and scope added',
    unit: 'ratio',
    metrics: ['cycle_completion_rate', 'scope_added_rate'],
    page: 'load',
  },
]

function chartsHtml(data: ScopeData, page: string): string {
  const charts = CHARTS.filter((c) => c.page === page)
  const payload = {
    weeks: data.chart.weeks,
    reorgs: data.chart.reorgs,
    charts: charts.map((c) => ({
      ...c,
      metrics: c.metrics.map((id) => ({
        id,
        title: metricById(id).title,
        values: data.chart.series[id] ?? [],
      })),
    })),
  }
  // `</` in the JSON would close the script element early
  const json = JSON.stringify(payload).replace(/</g, '\\u003c')
  const reorgs = data.chart.reorgs.length
    ? `re-orgs (org snapshots) marked on every chart: ${data.chart.reorgs.map(esc).join(', ')}`
    : 'no re-org inside these weeks'
  return `<h2>Week by week</h2><p class="sub">${esc(data.chart.weeks.length)} weeks ending ${esc(isoDay(data.range.to))}; ${reorgs}. Empty weeks are gaps, never zero.</p>
<div class="charts">${charts.map((c) => `<div class="panel" data-chart="${esc(c.key)}"><h3>${esc(c.title)}</h3><div class="chart"></div></div>`).join('')}</div>
<script type="application/json" id="orgpulse-data">${json}</script>`
}

export function coverageHtml(data: ScopeData): string {
  const c = data.coverage
  const share = c.calendar.share === null ? 'n/a' : `${Math.round(c.calendar.share * 1000) / 10} %`
  return `<p class="sub" id="coverage">Coverage over ${esc(windowText(data.range))}: calendars synced for ${c.calendar.covered} of ${c.calendar.people} people (${share}); meeting and focus figures are means over them · ${c.trackers.synced} Jira project(s) / Linear team(s) synced. Empty figures say why: no data is not zero.</p>`
}

const FAMILY_TITLES: Record<string, string> = {
  decisions: 'Decisions',
  dependencies: 'Dependencies',
  meetings: 'Load and rituals',
  planning: 'Planning',
}

function tilesHtml(data: ScopeData, families: string[]): string {
  return families
    .map((fam) => {
      const tiles = data.tiles.filter((t) => t.family === fam)
      if (tiles.length === 0) return ''
      return `<section id="tiles-${esc(fam)}"><h2>${esc(FAMILY_TITLES[fam] ?? fam)}</h2><div class="tiles">${tiles.map((t) => tileHtml(t, data)).join('\n')}</div></section>`
    })
    .join('\n')
}

const TEAM_COLUMNS = [
  'decisions_decided',
  'decisions_open',
  'decision_latency_p90_hours',
  'escalation_rate',
  'centralization',
  'blockers_open',
  'meeting_hours_per_person_week',
  'cycle_completion_rate',
]

function teamsTable(data: ScopeData, keep: Record<string, string | undefined>): string {
  if (data.teams.length === 0) return ''
  const head = TEAM_COLUMNS.map((id) => `<th>${esc(metricById(id).title)}</th>`).join('')
  const rows = data.teams
    .map((t) => {
      const cells = TEAM_COLUMNS.map((id) => {
        const f = t.figures[id]!
        const m = metricById(id)
        return `<td class="num ${cellClass(f.status)}"${f.reason ? ` title="${esc(f.reason)}"` : ''}>${esc(figureText(m.unit, f))}${f.n !== null && m.unit !== 'count' && f.value !== null ? ` <span class="sub">n = ${f.n}</span>` : ''}</td>`
      }).join('')
      return `<tr data-team="${esc(t.id)}"><td><a href="${esc(pageHref(data.director, `teams/${t.id}`, keep))}">${esc(t.name)}</a></td><td class="num">${t.people}</td>${cells}</tr>`
    })
    .join('')
  return `<h2>Teams</h2><p class="sub">Each team over its own subtree, same window (${esc(windowText(data.range))}).</p>
<div class="panel"><table id="teams"><tr><th>team</th><th>people</th>${head}</tr>${rows}</table></div>`
}

function teamSelector(
  director: string,
  teams: { id: string; name: string }[],
  current: string | null,
  keep: Record<string, string | undefined>,
): string {
  if (teams.length === 0) return ''
  const hidden = Object.entries(keep)
    .filter(([k, v]) => v && k !== 'team')
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('')
  return `<form class="range" method="get" action="/orgs/${esc(encodeURIComponent(director))}" id="team-select"><label>team <select name="team" onchange="this.form.submit()">
<option value="">whole org</option>${teams.map((t) => `<option value="${esc(t.id)}"${t.id === current ? ' selected' : ''}>${esc(t.name)}</option>`).join('')}</select></label>${hidden}<button type="submit">go</button></form>`
}

export interface ScopeViewOptions {
  kind: 'org' | 'team'
  name: string
  directorName: string
  teams: { id: string; name: string }[]
  now: Date
}

/** the org page (`/orgs/{director}`) and the team page (`/orgs/{director}/teams/{unit}`) */
/** the quarterly review of the quarter the window ends in (its last day), a self-contained page */
function reviewLink(data: ScopeData): string {
  const quarter = quarterOf(new Date(data.range.to.getTime() - 1))
  const href = pageHref(data.director, 'review', { quarter })
  return `<p class="sub"><a class="review-link" href="${esc(href)}">Quarterly review (${esc(quarter)})</a> · the review questions answered for the quarter, printable</p>`
}

export function scopeHtml(data: ScopeData, o: ScopeViewOptions): string {
  const team = o.kind === 'team' ? data.scope.unit : undefined
  const keep = { ...data.range.query, team }
  const action =
    o.kind === 'team'
      ? pageHref(data.director, `teams/${data.scope.unit}`, {})
      : pageHref(data.director, '', {})
  const heading =
    o.kind === 'team'
      ? `<h1>${esc(o.name)} <span class="sub">team led by ${esc(data.scope.manager)}, ${data.scope.people} people, in <a href="${esc(pageHref(data.director, '', data.range.query))}">${esc(o.directorName)}'s org</a></span></h1>`
      : `<h1>${esc(o.name)}'s org <span class="sub">${data.scope.people} people</span></h1>${reviewLink(data)}`
  return layout(
    {
      title: o.kind === 'team' ? `${o.name} team` : `${o.name}'s org`,
      org: { director: data.director, name: o.directorName, here: '', query: keep },
      scripts: true,
    },
    `${heading}
${rangePicker(action, data.range, o.now, {})}
${teamSelector(data.director, o.teams, team ?? null, data.range.query)}
${coverageHtml(data)}
${tilesHtml(data, ['decisions', 'dependencies', 'meetings', 'planning'])}
${teamsTable(data, data.range.query)}
${chartsHtml(data, '')}`,
  )
}

// --- the director list -------------------------------------------------------------------------

export interface DirectorStatus {
  director: Director
  window: { from: Date; to: Date }
  /** the metrics out of bounds over the window */
  flagged: { id: string; status: Status; figure: Figure }[]
  /** the biggest moves against the previous week, in the bad or good direction */
  changes: { id: string; from: number; to: number }[]
  error?: string
}

export function directorsHtml(list: DirectorStatus[], own?: string): string {
  const items = list
    .map((s) => {
      const d = s.director
      const flagged = s.flagged.length
        ? s.flagged
            .map((f) => {
              const m = metricById(f.id)
              return `<span class="badge b-${f.status}" data-flag="${esc(f.id)}">${esc(m.title)} ${esc(fmt(m.unit, f.figure.value))}</span>`
            })
            .join('')
        : '<span class="badge b-ok">nothing red or amber</span>'
      const changes = s.changes.length
        ? `<div class="sub">vs the week before: ${s.changes
            .map((c) => {
              const m = metricById(c.id)
              return `${esc(m.title)} ${esc(fmt(m.unit, c.from))} → ${esc(fmt(m.unit, c.to))} (${esc(fmtDelta(m.unit, c.to - c.from))})`
            })
            .join(' · ')}</div>`
        : ''
      return `<li data-director="${esc(d.email)}"><a href="/orgs/${esc(encodeURIComponent(d.email))}"><strong>${esc(d.name)}</strong></a> — ${esc(d.title)}, ${esc(d.unitName)} (${d.people} people)
<div>${s.error ? `<span class="cell-empty">${esc(s.error)}</span>` : flagged}</div>${changes}</li>`
    })
    .join('\n')
  const w = list[0]?.window
  return layout(
    { title: 'directors' },
    `<h1>Directors</h1><p class="sub">Each director's org over the last complete week${w ? ` (${esc(windowText(w))})` : ''}: what is red or amber by the catalog thresholds, and what moved most against the week before.</p>
${own ? `<p id="own">Your team: <a href="/orgs/${esc(encodeURIComponent(own))}">${esc(own)}</a></p>` : ''}
${list.length === 0 && own ? '' : list.length === 0 ? '<p>No org to show: import one with <code>orgpulse org import FILE</code> or run <code>orgpulse demo</code>.</p>' : `<ul class="directors">${items}</ul>`}`,
  )
}

// --- decisions ---------------------------------------------------------------------------------

export const DECISION_FILTER_LABELS: Record<string, string> = {
  open: 'open (oldest first)',
  waiting_on_leader: 'waiting on me',
  waiting_on_managers: 'waiting on my managers',
  escalated: 'escalated',
  reversed: 'reversed',
  decided: 'decided in window',
  by_leader: 'decided by the director',
  not_by_leader: 'decided, not raised by the director',
  centralised: 'decided by the director, raised by others',
  depth: 'decided, decider known',
}
const MENU = [
  'open',
  'waiting_on_leader',
  'waiting_on_managers',
  'escalated',
  'reversed',
  'decided',
  'by_leader',
]

export interface ListPage {
  director: string
  directorName: string
  scopeName: string
  team: string | undefined
  range: PageRange
  filter: string
  now: Date
  teams: { id: string; name: string }[]
  names: Names
  sourceUrl: (source: string, id: string) => string | null
}

function listFrame(
  p: ListPage,
  here: 'decisions' | 'dependencies',
  menu: string[],
  labels: Record<string, string>,
  body: string,
): string {
  const keep = { ...p.range.query, team: p.team }
  const filters = menu
    .concat(menu.includes(p.filter) ? [] : [p.filter])
    .map(
      (f) =>
        `<a href="${esc(pageHref(p.director, here, { ...keep, filter: f }))}"${f === p.filter ? ' class="here"' : ''} data-filter="${esc(f)}">${esc(labels[f] ?? f)}</a>`,
    )
    .join('')
  return layout(
    {
      title: `${here} · ${p.directorName}`,
      org: { director: p.director, name: p.directorName, here, query: keep },
    },
    `<h1>${here === 'decisions' ? 'Decisions' : 'Cross-team dependencies'} · ${esc(p.scopeName)}</h1>
${rangePicker(pageHref(p.director, here, {}), p.range, p.now, { team: p.team, filter: p.filter })}
${teamSelectorFor(p, here)}
<div class="filters">${filters}</div>
${body}`,
  )
}

function teamSelectorFor(p: ListPage, here: string): string {
  if (p.teams.length === 0) return ''
  const hidden = Object.entries({ ...p.range.query, filter: p.filter })
    .filter(([, v]) => v)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('')
  return `<form class="range" method="get" action="${esc(pageHref(p.director, here as 'decisions', {}))}"><label>team <select name="team" onchange="this.form.submit()">
<option value="">whole org</option>${p.teams.map((t) => `<option value="${esc(t.id)}"${t.id === p.team ? ' selected' : ''}>${esc(t.name)}</option>`).join('')}</select></label>${hidden}<button type="submit">go</button></form>`
}

const days = (d: number | null) => (d === null ? '—' : `${d.toFixed(1)} d`)
const hours = (h: number | null) => (h === null ? '—' : `${h.toFixed(1)} h`)
const when = (t: string | null) => (t === null ? '—' : esc(t.slice(0, 16).replace('T', ' ')))

export function decisionsHtml(p: ListPage, items: DecisionItem[]): string {
  const rows = items
    .map((d) => {
      const url = p.sourceUrl(d.source, d.sourceId)
      return `<tr data-item="${esc(d.id)}"><td>${esc(d.title || d.id)}</td><td>${person(p.names, d.raiser)}</td><td>${when(d.raisedAt)}</td>
<td class="num">${days(d.ageDays)}</td><td>${esc(d.status)}</td><td>${person(p.names, d.expectedDecider || null)}</td><td>${person(p.names, d.decider)}</td>
<td class="num">${hours(d.latencyHours)}</td><td>${d.escalated ? 'yes' : 'no'}</td><td>${unitName(p.names, d.team)}</td>
<td>${url ? `<a href="${esc(url)}" rel="noreferrer">${esc(d.sourceId)}</a>` : esc(d.sourceId)}</td></tr>`
    })
    .join('\n')
  const body = `<p class="sub" id="count" data-count="${items.length}">${items.length} decision${items.length === 1 ? '' : 's'} · ${esc(DECISION_FILTER_LABELS[p.filter] ?? p.filter)} · ${esc(windowText(p.range))}${p.filter === 'open' || p.filter.startsWith('waiting') ? ' (open at the end of the window; age at the end of the window)' : ''}</p>
<div class="panel"><table id="items"><tr><th>title</th><th>raised by</th><th>raised</th><th>age</th><th>status</th><th>expected decider</th><th>decider</th><th>latency</th><th>escalated</th><th>team</th><th>source</th></tr>
${rows || '<tr><td colspan="11" class="cell-empty">no decision matches this filter in the window</td></tr>'}</table></div>`
  return listFrame(p, 'decisions', MENU, DECISION_FILTER_LABELS, body)
}

// --- dependencies ------------------------------------------------------------------------------

export const DEPENDENCY_FILTER_LABELS: Record<string, string> = {
  open: 'open at the end of the window',
  resolved: 'first resolved in the window',
  resolved_14d: 'resolved within 14 days',
  blocking_days: 'blocked items (item-days in the window)',
}

export interface TeamPairRow {
  blockerTeam: string
  blockedTeam: string
  open: number
  oldestOpenAgeDays: number | null
  links: DependencyItem[]
}

export function dependenciesHtml(p: ListPage, items: DependencyItem[], pairs: TeamPairRow[]): string {
  const item = (id: string) => {
    const [source, ...rest] = id.split(':')
    const url = p.sourceUrl(source ?? '', rest.join(':'))
    return url ? `<a href="${esc(url)}" rel="noreferrer">${esc(id)}</a>` : esc(id)
  }
  const pairRows = pairs
    .map(
      (
        x,
      ) => `<tr data-pair="${esc(`${x.blockerTeam}>${x.blockedTeam}`)}"><td>${unitName(p.names, x.blockerTeam)} → ${unitName(p.names, x.blockedTeam)}</td><td class="num">${x.open}</td><td class="num">${days(x.oldestOpenAgeDays)}</td>
<td>${x.links.map((l) => `${item(l.blockerItem)} blocks ${item(l.blockedItem)} (${days(l.ageDays)})`).join('<br>')}</td></tr>`,
    )
    .join('')
  const rows = items
    .map(
      (
        l,
      ) => `<tr data-item="${esc(l.linkId)}"><td>${item(l.blockerItem)}</td><td>${item(l.blockedItem)}</td><td>${unitName(p.names, l.blockerUnit)} → ${unitName(p.names, l.blockedUnit)}</td>
<td>${when(l.createdAt)}</td><td class="num">${days(l.ageDays)}</td><td>${when(l.firstResolvedAt)}</td><td>${l.firstResolvedAt ? (l.resolvedWithin14d ? 'yes' : 'no') : '—'}</td><td class="num">${l.blockedItemDays ? l.blockedItemDays.toFixed(2) : '—'}</td></tr>`,
    )
    .join('\n')
  const sum = Math.round(items.reduce((s, l) => s + l.blockedItemDays, 0) * 1e6) / 1e6
  const body = `<h2>Team pairs</h2><p class="sub">Blocking team → blocked team, open at the end of the window, worst first (open links, then the oldest).</p>
<div class="panel"><table id="pairs"><tr><th>blocking team → blocked team</th><th>open links</th><th>oldest</th><th>open blockers (age)</th></tr>${pairRows || '<tr><td colspan="4" class="cell-empty">no open cross-team blocker at the end of the window</td></tr>'}</table></div>
<h2>Links</h2><p class="sub" id="count" data-count="${items.length}" data-sum="${sum}">${items.length} link${items.length === 1 ? '' : 's'} · ${esc(DEPENDENCY_FILTER_LABELS[p.filter] ?? p.filter)} · ${esc(windowText(p.range))}${p.filter === 'blocking_days' ? ` · ${sum.toFixed(1)} blocked item-days` : ''}</p>
<div class="panel"><table id="items"><tr><th>blocker</th><th>blocked</th><th>teams</th><th>created</th><th>age at end</th><th>first resolved</th><th>within 14 d</th><th>item-days in window</th></tr>
${rows || '<tr><td colspan="8" class="cell-empty">no link matches this filter in the window</td></tr>'}</table></div>`
  return listFrame(
    p,
    'dependencies',
    ['open', 'resolved', 'resolved_14d', 'blocking_days'],
    DEPENDENCY_FILTER_LABELS,
    body,
  )
}

// --- load and rituals --------------------------------------------------------------------------

export interface RitualRow {
  name: string
  cadence: string
  owner: string
  periods: { start: string; end: string; expected: boolean; held: boolean }[]
}

export function loadHtml(
  data: ScopeData,
  o: ScopeViewOptions & { rituals: RitualRow[]; configured: number },
): string {
  const team = o.kind === 'team' ? data.scope.unit : undefined
  const keep = { ...data.range.query, team }
  // the history is shown where ritual_adherence is (privacy and calendar coverage decide it)
  const adherence = data.tiles.find((t) => t.id === 'ritual_adherence')!.current
  const rituals =
    o.configured === 0
      ? '<p id="rituals" data-rituals="0">no rituals configured — see README Configuration › Rituals</p>'
      : adherence.value === null
        ? `<p id="rituals" data-rituals="${o.configured}">${o.configured} ritual(s) configured (${o.rituals.map((r) => esc(r.name)).join(', ')}); their weeks are not shown: ${esc(adherence.reason ?? 'no data')}</p>`
        : `<div class="panel" id="rituals" data-rituals="${o.rituals.length}"><table><tr><th>ritual</th><th>cadence</th><th>owner</th><th>held</th><th>missed</th><th>periods (held / missed)</th></tr>${o.rituals
            .map((r) => {
              const expected = r.periods.filter((x) => x.expected)
              const held = expected.filter((x) => x.held)
              return `<tr data-ritual="${esc(r.name)}" data-held="${held.length}" data-missed="${expected.length - held.length}"><td>${esc(r.name)}</td><td>${esc(r.cadence)}</td><td>${esc(r.owner || '—')}</td><td class="num">${held.length}</td><td class="num">${expected.length - held.length}</td>
<td>${expected.length === 0 ? '<span class="cell-empty">not expected in this scope in the window</span>' : expected.map((x) => `<span class="badge ${x.held ? 'b-ok' : 'b-critical'}" title="${esc(x.start)} → ${esc(x.end)}">${esc(x.start.slice(0, 10))} ${x.held ? 'held' : 'missed'}</span>`).join('')}</td></tr>`
            })
            .join('')}</table></div>`
  return layout(
    {
      title: `load · ${o.directorName}`,
      org: { director: data.director, name: o.directorName, here: 'load', query: keep },
      scripts: true,
    },
    `<h1>Load and rituals · ${esc(o.name)}</h1>
${rangePicker(pageHref(data.director, 'load', {}), data.range, o.now, { team })}
${coverageHtml(data)}
${tilesHtml(data, ['meetings', 'planning'])}
<h2>Rituals</h2>${rituals}
${chartsHtml(data, 'load')}`,
  )
}
