import type { MetricDef } from '@orgpulse/metrics'
import type { Figure, ScopeData, Status, Tile } from './data.ts'
import { FLOW_METRICS as FLOW, pageHref } from './data.ts'
import { isoDay, type PageRange, quarterOf } from './range.ts'

/** HTML-escapes text and attribute values (every value from data goes through it) */
export const esc = (s: unknown): string =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')

const STYLE = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f4f5f8;color:#1f2430}
header{background:#1f2430;color:#fff;padding:12px 24px;display:flex;gap:18px;align-items:baseline;flex-wrap:wrap}
header a{color:#9cc3ff;text-decoration:none}header nav a{margin-right:14px}header nav a.here{color:#fff;font-weight:600}
main{padding:14px 24px 40px}h1{font-size:20px;margin:6px 0}h2{margin:22px 0 6px;font-size:17px}
p.sub{margin:0 0 10px;color:#5b6272;font-size:13px}
form.range{display:flex;gap:8px;align-items:center;flex-wrap:wrap;font-size:13px;background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px 10px;margin:8px 0}
form.range a{padding:2px 8px;border-radius:10px;background:#eef1f6;color:#1f2430;text-decoration:none}form.range a.here{background:#1f2430;color:#fff}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:10px}
.tile{background:#fff;border:1px solid #dde1e8;border-left:5px solid #9aa3b2;border-radius:6px;padding:8px 10px;font-size:12px}
.tile h3{font-size:13px;margin:0 0 2px;font-weight:600}.tile .win{color:#5b6272}
.tile .big{font-size:26px;font-weight:700;margin:2px 0}
.tile .cmp{color:#3d4454}.tile .n a{color:#2457c5}
.s-ok{border-left-color:#299c46}.s-ok .big{color:#299c46}
.s-warn{border-left-color:#e0a800}.s-warn .big{color:#b88700}
.s-critical{border-left-color:#d44a3a}.s-critical .big{color:#d44a3a}
.s-neutral .big{color:#3b6fd8}.s-empty .big{color:#7a8190;font-size:18px}
.panel{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px 10px;margin:10px 0;overflow-x:auto}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:10px}
.chart{height:240px}
table{border-collapse:collapse;width:100%;font-size:12px}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f7f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cell-critical{color:#d44a3a;font-weight:600}.cell-warn{color:#b88700;font-weight:600}.cell-ok{color:#299c46}.cell-empty{color:#7a8190}
.filters a{display:inline-block;margin:0 6px 6px 0;padding:3px 9px;border-radius:12px;background:#eef1f6;color:#1f2430;text-decoration:none;font-size:13px}
.filters a.here{background:#1f2430;color:#fff}
ul.directors{list-style:none;padding:0}ul.directors li{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px 12px;margin:8px 0}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;margin:2px 4px 2px 0}
.b-critical{background:#fbe3e0;color:#a3281a}.b-warn{background:#fff3cd;color:#7a5b00}.b-ok{background:#e3f4e8;color:#1d6e33}
.error{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:16px;max-width:640px}`

export interface Layout {
  title: string
  /** header navigation for an org: its director and the current page */
  org?: { director: string; name: string; here: string; query: Record<string, string | undefined> }
  scripts?: boolean
}

export function layout(l: Layout, body: string): string {
  const nav = l.org
    ? `<nav>${(
        [
          ['', 'Org'],
          ['decisions', 'Decisions'],
          ['dependencies', 'Dependencies'],
          ['load', 'Load and rituals'],
        ] as const
      )
        .map(
          ([p, label]) =>
            `<a href="${esc(pageHref(l.org!.director, p, l.org!.query))}"${l.org!.here === p ? ' class="here"' : ''}>${label}</a>`,
        )
        .join('')}</nav>`
    : ''
  const who = l.org
    ? `<span><strong>${esc(l.org.name)}</strong>’s org</span>`
    : '<span>org health per director</span>'
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>orgpulse · ${esc(l.title)}</title><style>${STYLE}</style>${l.scripts ? '<script src="/assets/echarts.min.js"></script>' : ''}</head>
<body><header><a href="/"><strong>orgpulse</strong></a>${who}${nav}</header><main>
${body}
</main>${l.scripts ? '<script src="/assets/pages.js"></script>' : ''}</body></html>`
}

export function errorHtml(status: number, message: string, back: { href: string; label: string }): string {
  return layout(
    { title: `${status}` },
    `<div class="error" data-status="${status}"><h1>${status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Cannot show this page'}</h1>
<p>${esc(message)}</p><p><a href="${esc(back.href)}">${esc(back.label)}</a></p></div>`,
  )
}

// --- numbers ---------------------------------------------------------------------------------

export function fmt(unit: MetricDef['unit'], v: number | null): string {
  if (v === null || Number.isNaN(v)) return '—'
  if (unit === 'ratio') return `${Math.round(v * 100)} %`
  if (unit === 'count') return Number.isInteger(v) ? String(v) : v.toFixed(1)
  if (unit === 'item_days') return `${v.toFixed(1)} item-days`
  const suffix = { hours: ' h', days: ' d', hours_per_week: ' h/wk', level: '' }[unit] ?? ''
  return `${v.toFixed(1)}${suffix}`
}

/** a change in the metric's unit: percentage points for ratios */
export function fmtDelta(unit: MetricDef['unit'], d: number): string {
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±'
  const a = Math.abs(d)
  if (unit === 'ratio') return `${sign}${Math.round(a * 100)} pp`
  if (unit === 'count') return `${sign}${Number.isInteger(a) ? a : a.toFixed(1)}`
  return `${sign}${fmt(unit, a)}`
}

/** what an empty figure says instead of a number: "no data", "too few (n = 2)", "withheld" */
export function emptyLabel(f: Figure): string {
  const reason = f.reason ?? 'no_data'
  const kind = reason.split(':')[0]!.trim()
  if (kind === 'too_few') {
    const n = /n\s*=\s*(\d+)/.exec(reason)?.[1] ?? (f.n === null ? null : String(f.n))
    return n === null ? 'too few' : `too few (n = ${n})`
  }
  if (kind === 'partial_coverage') return 'partial coverage'
  if (kind === 'withheld' || kind === 'individual') return 'withheld'
  return 'no data'
}

export const figureText = (unit: MetricDef['unit'], f: Figure): string =>
  f.value === null ? emptyLabel(f) : fmt(unit, f.value)

export const windowText = (w: { from: Date; to: Date }): string => {
  const days = Math.round((w.to.getTime() - w.from.getTime()) / 86_400_000)
  const len = days % 7 === 0 ? `${days / 7} week${days === 7 ? '' : 's'}` : `${days} days`
  return `${isoDay(w.from)} → ${isoDay(w.to)} (${len}, end exclusive)`
}

function compare(t: Tile, other: Figure, words: string): string {
  if (t.current.value === null || other.value === null)
    return `<div class="cmp">${words}: ${esc(figureText(t.unit, other))}</div>`
  return `<div class="cmp">${words}: ${esc(fmtDelta(t.unit, t.current.value - other.value))} (was ${esc(fmt(t.unit, other.value))})</div>`
}

export function tileHtml(t: Tile, data: ScopeData): string {
  const f = t.current
  const big = figureText(t.unit, f)
  const links = t.links
    .map((l) =>
      l.count === null
        ? `<a href="${esc(l.href)}" data-list="${esc(l.href)}">${esc(l.label)}</a>`
        : `<a href="${esc(l.href)}" data-list="${esc(l.href)}" data-count="${l.count}">${l === t.links[0] ? `n = ${l.count} ${esc(t.sampleOf)}` : `${l.count} ${esc(l.label)}`}</a>`,
    )
    .join(' · ')
  const sum = t.id === 'blocked_item_days' && f.value !== null ? ` data-sum="${f.value}"` : ''
  return `<div class="tile s-${t.status}" data-metric="${esc(t.id)}" data-status="${t.status}" data-value="${f.value === null ? '' : f.value}"${sum} title="${esc(t.description)}">
<h3>${esc(t.title)}</h3><div class="win" title="${esc(windowText(data.range))}">${esc(`${isoDay(data.range.from)} → ${isoDay(data.range.to)}`)}</div>
<div class="big"${f.reason ? ` title="${esc(f.reason)}"` : ''}>${esc(big)}</div>
<div class="n">${links}</div>
${compare(t, t.previous, 'vs previous period')}${compare(t, t.baseline, FLOW.has(t.id) ? 'vs 12-week baseline (per window length)' : 'vs 12-week baseline')}
</div>`
}

// --- range picker ------------------------------------------------------------------------------

export function rangePicker(
  action: string,
  range: PageRange,
  now: Date,
  keep: Record<string, string | undefined>,
): string {
  const end = new Date(now)
  const quarters: string[] = []
  for (let i = 0; i < 4; i++) {
    const d = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 3 * i, 1))
    quarters.push(quarterOf(d))
  }
  const link = (q: Record<string, string>, label: string) => {
    const here =
      JSON.stringify(q) === JSON.stringify(range.query) ||
      (label === 'last week' && !Object.keys(range.query).length)
    const qs = new URLSearchParams({
      ...Object.fromEntries(Object.entries(keep).filter(([, v]) => v)),
      ...q,
    } as Record<string, string>)
    return `<a href="${esc(`${action}?${qs}`)}"${here ? ' class="here"' : ''}>${esc(label)}</a>`
  }
  const hidden = Object.entries(keep)
    .filter(([, v]) => v)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('')
  return `<form class="range" method="get" action="${esc(action)}" id="range">
<strong>${esc(range.label)}</strong> <span>${esc(windowText(range))}</span>
${link({ range: 'last-week' }, 'last week')}${link({ range: '4w' }, 'last 4 weeks')}${link({ range: '13w' }, 'last 13 weeks')}
${quarters.map((q) => link({ range: q }, q)).join('')}
<label>from <input type="date" name="from" value="${esc(isoDay(range.from))}"></label>
<label>to (exclusive) <input type="date" name="to" value="${esc(isoDay(range.to))}"></label>${hidden}
<button type="submit">show</button></form>`
}

export const cellClass = (s: Status): string => `cell-${s}`
