import type { Director } from '@orgpulse/org'
import type { OrgPage } from './data.ts'

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const STYLE = `
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f4f5f8;color:#1f2430}
header{background:#1f2430;color:#fff;padding:14px 24px}header a{color:#9cc3ff}
main{padding:16px 24px}h2{margin:24px 0 4px}p.sub{margin:0 0 12px;color:#5b6272}
.grid{display:grid;grid-template-columns:repeat(24,1fr);gap:10px}
.panel{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px 10px;overflow:hidden}
.panel h3{font-size:13px;margin:0 0 4px;font-weight:600}
.big{font-size:28px;font-weight:700}.spark{height:44px}.chart{height:240px}
table{border-collapse:collapse;width:100%;font-size:12px}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eee}
ul.directors li{margin:6px 0}`

export function directorsHtml(directors: Director[]): string {
  const items = directors
    .map(
      (d) =>
        `<li><a href="/orgs/${encodeURIComponent(d.email)}">${esc(d.name)}</a> — ${esc(d.title)}, ${esc(d.unitName)} (${d.people} people)</li>`,
    )
    .join('\n')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>orgpulse · org health</title><style>${STYLE}</style></head>
<body><header><strong>orgpulse</strong> · org health per director</header><main>
<p class="sub">Each director's org: decisions, dependencies, load and planning, week by week (the same panels as the Grafana dashboards).</p>
${directors.length === 0 ? '<p>No org imported yet: <code>pnpm orgpulse org import FILE</code> or <code>pnpm orgpulse demo</code>.</p>' : `<ul class="directors">${items}</ul>`}
</main></body></html>`
}

/** panel widths follow the Grafana grid (24 columns) */
export function orgHtml(page: OrgPage, name: string, widths: Map<string, number>): string {
  const sections = page.dashboards
    .map(
      (
        d,
      ) => `<section id="${d.key}"><h2>${esc(d.title)}</h2><p class="sub">${esc(d.description)}</p><div class="grid">
${d.panels.map((p) => `<div class="panel" data-panel="${esc(p.key)}" data-kind="${p.kind}" style="grid-column:span ${widths.get(p.key) ?? 12}" title="${esc(p.description)}"><h3>${esc(p.title)}</h3><div class="body"></div></div>`).join('\n')}
</div></section>`,
    )
    .join('\n')
  const c = page.coverage
  const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 1000) / 10}%`)
  const coverage = c.week
    ? `<p class="sub" id="coverage">Week of ${esc(c.week)}: ${
        c.calendar
          ? `calendars synced for ${c.calendar.covered} of ${c.calendar.people} people (${pct(c.calendar.share)}); meeting and focus figures are means over them`
          : 'no calendar coverage'
      } · ${c.trackers ?? 0} Jira project(s) / Linear team(s) synced. Empty figures say why (no data is not zero).</p>`
    : ''
  // `</` in the JSON would close the script element early
  const data = JSON.stringify(page).replace(/</g, '\\u003c')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>orgpulse · ${esc(name)}</title><style>${STYLE}</style>
<script src="/assets/echarts.min.js"></script></head>
<body><header><a href="/">orgpulse</a> · <strong>${esc(name)}</strong>'s org · ${page.from.slice(0, 10)} → ${page.to.slice(0, 10)} (weekly)</header>
<main>${coverage}${sections}</main>
<script type="application/json" id="orgpulse-data">${data}</script>
<script src="/assets/pages.js"></script></body></html>`
}
