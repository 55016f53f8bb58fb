import type { ReviewCell, ReviewColumn, ReviewReport, ReviewSection, ReviewTable } from '../model.ts'
import {
  cellStatus,
  cellText,
  coverageText,
  formatChange,
  formatValue,
  isNumericUnit,
  partialWarning,
  roundFor,
} from './format.ts'

/** HTML-escapes text and attribute values: every value from the report goes through it */
export const esc = (s: unknown): string =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')

const COLOURS = { ok: '#299c46', warn: '#b88700', critical: '#d44a3a', none: '#3b6fd8', empty: '#7a8190' }

const STYLE = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f8;color:#1f2430;font-size:14px}
header.top{background:#1f2430;color:#fff;padding:16px 28px}
header.top h1{margin:0;font-size:22px}header.top p{margin:4px 0 0;color:#c9cfdb;font-size:13px}
main{padding:12px 28px 40px;max-width:1100px}
.banner{background:#fff3cd;border:2px solid #e0a800;color:#5c4400;border-radius:6px;padding:12px 16px;margin:14px 0;font-size:15px;font-weight:600}
nav.toc ol{margin:6px 0;padding-left:20px}nav.toc a{color:#2457c5;text-decoration:none}
section.review{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:14px 18px;margin:16px 0}
section.review h2{margin:0 0 2px;font-size:18px}
p.question{margin:0 0 8px;color:#5b6272;font-style:italic}
ul.coverage{margin:4px 0 8px;padding-left:18px;font-size:12px;color:#3d4454}
ul.coverage li.short{color:#a3281a;font-weight:600}
.refused{background:#fbe3e0;border-left:5px solid #d44a3a;padding:8px 12px;margin:8px 0;color:#7a1d12}
h3{font-size:15px;margin:14px 0 2px}p.cmp{margin:0 0 6px;color:#5b6272;font-size:12px}
div.table{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:12.5px;margin:4px 0 8px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e6e8ee;vertical-align:top}
th{background:#f7f8fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.chg{color:#5b6272;font-size:11px;margin-left:6px}.n{color:#7a8190;font-size:11px;margin-left:4px}
.s-ok{color:${COLOURS.ok}}.s-warn{color:${COLOURS.warn};font-weight:600}.s-critical{color:${COLOURS.critical};font-weight:700}
.s-too_few,.s-no_data,.s-withheld{color:${COLOURS.empty};font-style:italic}
ul.notes{font-size:12px;color:#3d4454}
svg.chart{display:block;margin:4px 0 10px;max-width:100%}
footer{color:#7a8190;font-size:11px;margin-top:20px}
@page{size:A4;margin:14mm}
@media print{
  body{background:#fff;font-size:11px}
  header.top{background:#fff;color:#000;border-bottom:2px solid #1f2430;padding:0 0 8px}
  header.top p{color:#333}
  main{padding:0;max-width:none}
  nav.toc{display:none}
  section.review{break-before:page;page-break-before:always;border:none;padding:0;margin:0}
  section.review:first-of-type{break-before:auto;page-break-before:auto}
  div.table{overflow:visible}
  table{font-size:9.5px}th,td{padding:2px 4px}
  table,svg.chart{break-inside:avoid;page-break-inside:avoid}
  tr{break-inside:avoid}
  .banner,.refused,.s-ok,.s-warn,.s-critical{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}`

const day = (iso: string) => iso.slice(0, 10)

/**
 * The quarterly review as one self-contained HTML file: inline CSS, charts as inline SVG, no
 * script and no external asset (opens offline, prints one section per page). Every figure is
 * rounded by its unit; an empty figure says why in words; each section shows its coverage and,
 * when it refuses a comparison, why.
 */
export function reviewHtml(report: ReviewReport): string {
  const warning = partialWarning(report)
  const banner = warning
    ? `<div class="banner" role="alert" data-partial="true">⚠ Partial quarter. ${esc(warning)}</div>`
    : ''
  const toc = `<nav class="toc"><strong>Sections</strong><ol>${report.sections
    .map((s) => `<li><a href="#${esc(s.key)}">${esc(s.title)}</a></li>`)
    .join('')}</ol></nav>`
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(`Quarterly review · ${report.orgName} · ${report.quarter}`)}</title><style>${STYLE}</style></head>
<body><header class="top"><h1>${esc(`Quarterly review: ${report.orgName}, ${report.quarter}`)}</h1>
<p>${esc(`${report.org} · ${day(report.window.from)} → ${day(report.window.to)} (end exclusive) vs ${report.base.quarter} (${day(report.base.from)} → ${day(report.base.to)}) · ${report.people} people · groups under ${report.minGroupSize} people are not shown · generated ${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC`)}</p></header>
<main>${banner}${toc}
${report.sections.map((s) => sectionHtml(s)).join('\n')}
<footer>orgpulse · every figure rests on the sample shown as n; changes are relative to ${esc(report.base.quarter)}.</footer>
</main></body></html>`
}

function sectionHtml(s: ReviewSection): string {
  const coverage = s.coverage.length
    ? `<ul class="coverage" aria-label="coverage">${s.coverage
        .map((c) => `<li${c.enough ? '' : ' class="short"'}>${esc(coverageText(c))}</li>`)
        .join('')}</ul>`
    : '<ul class="coverage" aria-label="coverage"><li class="short">no source connected for this section</li></ul>'
  const refused = s.refused
    ? `<div class="refused" data-refused="true"><strong>No comparison:</strong> ${esc(s.refused)}</div>`
    : ''
  const notes = s.notes.length
    ? `<ul class="notes">${s.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`
    : ''
  const tables = s.tables.map((t) => tableHtml(t, s.refused !== null)).join('')
  const empty = s.tables.length === 0 && !s.refused ? '<p class="cmp">no data</p>' : ''
  return `<section class="review" id="${esc(s.key)}" data-section="${esc(s.key)}">
<h2>${esc(s.title)}</h2>${s.question === s.title ? '' : `<p class="question">${esc(s.question)}</p>`}
<div class="coverage-line"><strong>Coverage</strong>${coverage}</div>${refused}${tables}${empty}${notes}</section>`
}

function cellHtml(col: ReviewColumn, cell: ReviewCell | undefined, refused: boolean): string {
  const status = cellStatus(cell)
  const numeric = isNumericUnit(col.unit)
  const text = cellText(col, cell)
  const cls = [numeric ? 'num' : '', `s-${status}`].filter(Boolean).join(' ')
  let extra = ''
  if (cell && cell.value !== null && numeric) {
    // a refused section shows this quarter's figures only, never the comparison it refused
    const change = refused ? '' : formatChange(cell.change)
    if (change) extra += `<span class="chg" title="vs previous period">${esc(change)}</span>`
    if (cell.sample !== null && cell.sample !== undefined)
      extra += `<span class="n">n = ${esc(cell.sample)}</span>`
  }
  const title = cell?.reason ? ` title="${esc(cell.reason)}"` : ''
  const body = cell?.link ? `<a href="${esc(cell.link)}">${esc(text)}</a>` : esc(text)
  return `<td class="${cls}" data-status="${status}"${title}>${body}${extra}</td>`
}

function tableHtml(t: ReviewTable, refused: boolean): string {
  const head = t.columns.map((c) => `<th>${esc(c.title)}</th>`).join('')
  const rows = t.rows.length
    ? t.rows.map((r) => `<tr>${t.columns.map((c) => cellHtml(c, r[c.key], refused)).join('')}</tr>`).join('')
    : `<tr><td colspan="${t.columns.length}" class="s-no_data">no data</td></tr>`
  const cmp = t.comparison && !refused ? `<p class="cmp">${esc(t.comparison)}</p>` : ''
  return `<div class="table" data-table="${esc(t.key)}"><h3>${esc(t.title)}</h3>${cmp}${chartSvg(t, refused)}<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`
}

/**
 * A horizontal bar chart of the table's first numeric column that has figures: one bar per row
 * coloured by status, with a tick at the previous period's value (not in a refused section).
 */
function chartSvg(t: ReviewTable, refused: boolean): string {
  const label = t.columns.find((c) => !isNumericUnit(c.unit))
  const charted = (c: ReviewColumn) =>
    isNumericUnit(c.unit) && t.rows.some((r) => typeof r[c.key]?.value === 'number')
  // a catalog metric first (it has a status and a previous value), else any figure
  const col = t.columns.find((c) => c.metric && charted(c)) ?? t.columns.find(charted)
  if (!col || t.rows.length < 1) return ''
  const items = t.rows.map((r, i) => {
    const cell = r[col.key]
    const name = label ? r[label.key]?.value : null
    return {
      name:
        typeof name === 'string' ? name : name === null || name === undefined ? `row ${i + 1}` : String(name),
      value: typeof cell?.value === 'number' ? roundFor(col.unit, cell.value) : null,
      previous: !refused && typeof cell?.previous === 'number' ? roundFor(col.unit, cell.previous) : null,
      previousText: typeof cell?.previous === 'number' ? formatValue(col.unit, cell.previous) : '',
      text: cellText(col, cell),
      status: cellStatus(cell),
    }
  })
  const max = Math.max(...items.flatMap((i) => [i.value ?? 0, i.previous ?? 0]), 0) || 1
  const rowH = 22
  const left = 190
  const width = 660
  const barW = width - left - 110
  const height = items.length * rowH + 26
  const colour = (s: string) =>
    s === 'ok' ? COLOURS.ok : s === 'warn' ? COLOURS.warn : s === 'critical' ? COLOURS.critical : COLOURS.none
  const bars = items
    .map((it, i) => {
      const y = 20 + i * rowH
      const name = it.name.length > 26 ? `${it.name.slice(0, 25)}…` : it.name
      const bar =
        it.value === null
          ? `<text x="${left + 4}" y="${y + 13}" font-size="11" font-style="italic" fill="${COLOURS.empty}">${esc(it.text)}</text>`
          : `<rect x="${left}" y="${y + 3}" width="${Math.max(1, (Math.max(0, it.value) / max) * barW).toFixed(1)}" height="${rowH - 8}" fill="${colour(it.status)}" rx="2"/>` +
            `<text x="${left + Math.max(0, it.value / max) * barW + 6}" y="${y + 14}" font-size="11" fill="#1f2430">${esc(it.text)}</text>`
      const prev =
        it.previous === null
          ? ''
          : `<line x1="${(left + (Math.max(0, it.previous) / max) * barW).toFixed(1)}" x2="${(left + (Math.max(0, it.previous) / max) * barW).toFixed(1)}" y1="${y}" y2="${y + rowH - 2}" stroke="#1f2430" stroke-width="2"><title>${esc(`previous: ${it.previousText}`)}</title></line>`
      return `<text x="${left - 6}" y="${y + 14}" font-size="11" text-anchor="end" fill="#3d4454">${esc(name)}</text>${bar}${prev}`
    })
    .join('')
  const legend = `<text x="0" y="12" font-size="11" font-weight="600" fill="#1f2430">${esc(col.title)}</text>${
    items.some((i) => i.previous !== null)
      ? `<text x="${width - 4}" y="12" font-size="10" text-anchor="end" fill="#5b6272">| previous period</text>`
      : ''
  }`
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(`${col.title} per row`)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${legend}${bars}</svg>`
}
