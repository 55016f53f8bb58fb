import { describe, expect, it } from 'vitest'
import { reviewReportSchema } from '../../src/model.ts'
import { cellText, formatChange, formatValue } from '../../src/render/format.ts'
import { reviewHtml } from '../../src/render/html.ts'
import { FIXTURE } from './fixture.ts'

const html = reviewHtml(FIXTURE)

/** the text of the <section data-section=key> element */
function section(key: string): string {
  const start = html.indexOf(`<section class="review" id="${key}"`)
  expect(start, key).toBeGreaterThan(-1)
  return html.slice(start, html.indexOf('</section>', start))
}

/** the cells of a table's rows as [text, status] (tags stripped) */
function cells(key: string): string[][] {
  const start = html.indexOf(`data-table="${key}"`)
  const body = html.slice(html.indexOf('<tbody>', start), html.indexOf('</tbody>', start))
  return [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map((r) =>
    [...r[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) =>
      c[1]!
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  )
}

describe('review formatting by unit', () => {
  it('rounds by unit and writes relative change as ±%', () => {
    expect(formatValue('hours', 31.46)).toBe('31.5 h')
    expect(formatValue('days', 2.04)).toBe('2.0 d')
    expect(formatValue('ratio', 0.6136)).toBe('61 %')
    expect(formatValue('hours_per_week', 11.333)).toBe('11.3 h/wk')
    expect(formatValue('level', 1.345)).toBe('1.35')
    expect(formatValue('item_days', 12.25)).toBe('12.3 item-days')
    expect(formatValue('count', 27)).toBe('27')
    expect(formatValue('count', 2.25)).toBe('2.3')
    expect(formatChange(-0.23641)).toBe('−24 %')
    expect(formatChange(0.36356)).toBe('+36 %')
    expect(formatChange(0)).toBe('±0 %')
    expect(formatChange(null)).toBe('')
    expect(cellText({ unit: 'hours' }, { value: null, reason: 'too_few: n = 2 < 5', sample: 2 })).toBe(
      'too few (n = 2)',
    )
    expect(cellText({ unit: 'hours' }, { value: null, reason: 'no_data: nothing' })).toBe('no data')
    expect(cellText({ unit: 'hours' }, { value: null, reason: 'withheld: individual' })).toBe('withheld')
  })
})

describe('reviewHtml', () => {
  it('the fixture is a valid ReviewReport', () => {
    expect(reviewReportSchema.safeParse(FIXTURE).success).toBe(true)
  })

  it('is self-contained: no script, no external asset, styles inline', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/<link\b/i)
    expect(html).not.toMatch(/\b(src|href)\s*=\s*"(https?:)?\/\//i)
    expect(html).not.toMatch(/url\(/i)
    expect(html).not.toMatch(/@import/i)
    expect(html).toContain('<style>')
    // charts are inline SVG
    expect((html.match(/<svg class="chart"/g) ?? []).length).toBe(5)
    // one page per section in print
    expect(html).toMatch(/@media print\{[\s\S]*section\.review\{break-before:page;page-break-before:always/)
  })

  it('escapes every value from the report', () => {
    expect(html).toContain('<h1>Quarterly review: Dana &lt;Product &amp; Eng&gt;’s org, 2026-Q3</h1>')
    expect(html).toContain('&lt;script&gt;alert(&quot;escaped&quot;)&lt;/script&gt;')
    expect(html).not.toContain('<script>alert')
  })

  it('has every section with its question, in order', () => {
    const order = [...html.matchAll(/data-section="([a-z_]+)"/g)].map((m) => m[1])
    expect(order).toEqual(['structure_changes', 'teams', 'centralisation', 'shape', 'portfolio', 'stability'])
    expect(section('centralisation')).toContain('Where are decisions still too centralized?')
  })

  it('shows a prominent partial-quarter banner', () => {
    expect(html).toContain(
      '<div class="banner" role="alert" data-partial="true">⚠ Partial quarter. 2026-Q3 is still running: figures cover 45 of its 92 days, through 2026-08-15 (exclusive).',
    )
    expect(reviewHtml({ ...FIXTURE, partial: { ...FIXTURE.partial, partial: false } })).not.toContain(
      'data-partial',
    )
  })

  it('rounds by unit, writes the change as ±% with its n, and empty figures as words', () => {
    expect(cells('reorgs')).toEqual([
      ['Payments', '2026-07-20', '31.5 h −24 % n = 14', '29 % +14 % n = 14'],
      ['Checkout', '2026-07-20', 'too few (n = 2)', 'too few (n = 2)'],
    ])
    expect(cells('who_decides')).toEqual([
      ['dana@example.com', '27 +50 % n = 27', '61 % +36 % n = 44', '1.35 −10 % n = 44', '2.0 d ±0 % n = 27'],
      ['withheld', 'withheld', 'withheld', 'withheld', 'withheld'],
    ])
    expect(cells('load')[0]).toEqual(['Payments', '7', '11.3 h/wk +19 % n = 7'])
    // status colours: the class carries the status
    expect(section('centralisation')).toContain('<td class="num s-critical" data-status="critical">61 %')
    expect(section('structure_changes')).toContain('<td class="num s-warn" data-status="warn">29 %')
    expect(section('structure_changes')).toContain(
      'data-status="too_few" title="too_few: n = 2 &lt; 5">too few (n = 2)',
    )
  })

  it("states each section's coverage, and a refused section says why and shows no change", () => {
    expect(section('structure_changes')).toContain('org: 136 of 136 days (100 %), 2026-04-01 → 2026-08-15')
    const teams = section('teams')
    expect(teams).toContain(
      '<li class="short">jira: 30 of 91 days (33 %), 2026-04-01 → 2026-07-01, under 90 %</li>',
    )
    expect(teams).toContain(
      '<strong>No comparison:</strong> jira covered 30 of the 91 days of 2026-Q2 (33 %, under 90 %): no comparison with 2026-Q2',
    )
    expect(cells('team_change')).toEqual([
      ['Payments', '3 n = 3', '81 % n = 40', '12.3 item-days n = 3'],
      ['Platform', 'no data', 'no data', 'no data'],
    ])
    expect(teams).not.toContain('Q3 2026 vs Q2 2026')
    const portfolio = section('portfolio')
    expect(portfolio).toContain('no source connected for this section')
    expect(portfolio).toContain('no_data: no portfolio configured (portfolio: in orgpulse.yaml)')
  })
})
