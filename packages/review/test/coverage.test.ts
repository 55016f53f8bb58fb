import { describe, expect, it } from 'vitest'
import { coverageOf, measuredQuarter, parseQuarter, previousQuarter, sectionCoverage } from '../src/index.ts'

const Q3 = { from: '2026-07-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z' }
const Q4 = { from: '2026-10-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' }

describe('source coverage of a period, in whole days', () => {
  it('refuses the comparison naming the source under 90 % of the base', () => {
    const spans = [
      {
        source: 'decisions' as const,
        from: new Date('2026-01-01T00:00:00Z'),
        to: new Date('2026-12-01T00:00:00Z'),
      },
      // Jira connected on 2026-08-31: 31 days of Q3's 92
      {
        source: 'jira' as const,
        from: new Date('2026-08-31T00:00:00Z'),
        to: new Date('2026-12-01T00:00:00Z'),
      },
      { source: 'org' as const, from: new Date('2026-01-01T00:00:00Z'), to: null },
    ]
    const { coverage, refused } = sectionCoverage(spans, ['decisions', 'jira', 'linear', 'org'], Q4, {
      ...Q3,
      quarter: '2026-Q3',
    })
    expect(refused).toBe('Jira covered 31 of 92 days of 2026-Q3 (34 %): no comparison')
    // Linear holds no data: not connected, not listed; each source for the quarter and the base
    expect(
      coverage.map((c) => `${c.source} ${c.period.from.slice(0, 10)} ${c.daysCovered}/${c.days} ${c.enough}`),
    ).toEqual([
      'decisions 2026-10-01 61/61 true',
      'decisions 2026-07-01 92/92 true',
      'jira 2026-10-01 61/61 true',
      'jira 2026-07-01 31/92 false',
      'org 2026-10-01 61/61 true',
      'org 2026-07-01 92/92 true',
    ])
  })

  it('counts a day only when the source holds all of it; 90 % exactly is enough', () => {
    const period = { from: '2026-04-01T00:00:00.000Z', to: '2026-04-11T00:00:00.000Z' }
    const span = (from: string, to: string | null) => ({
      source: 'calendar' as const,
      from: new Date(from),
      to: to === null ? null : new Date(to),
    })
    expect(coverageOf(span('2026-04-02T00:00:00Z', null), 'calendar', period)).toMatchObject({
      daysCovered: 9,
      days: 10,
      share: 0.9,
      enough: true,
    })
    expect(coverageOf(span('2026-04-02T06:00:00Z', null), 'calendar', period)).toMatchObject({
      daysCovered: 8,
      enough: false,
    })
    expect(
      coverageOf(span('2026-03-01T00:00:00Z', '2026-04-05T12:00:00Z'), 'calendar', period).daysCovered,
    ).toBe(4)
    expect(coverageOf(undefined, 'org', period)).toMatchObject({ daysCovered: 0, share: 0, enough: false })
  })
})

describe('quarters', () => {
  it('parses, steps back across a year and measures a running quarter', () => {
    expect(parseQuarter('2026-Q1').to.toISOString()).toBe('2026-04-01T00:00:00.000Z')
    expect(previousQuarter('2026-Q1')).toMatchObject({ quarter: '2025-Q4' })
    expect(previousQuarter('2026-Q1').from.toISOString()).toBe('2025-10-01T00:00:00.000Z')
    expect(() => parseQuarter('2026-Q5')).toThrow(/2026-Q3/)
    const q4 = parseQuarter('2026-Q4')
    // Thursday 2026-10-01 starts Q4; on Saturday 10-03 no week of it is complete: through now
    expect(measuredQuarter(q4, new Date('2026-10-03T12:00:00Z')).partial).toEqual({
      partial: true,
      through: '2026-10-03T12:00:00.000Z',
      daysElapsed: 2.5,
      days: 92,
    })
    // on Tuesday 10-06 the quarter is measured through Monday 10-05
    expect(measuredQuarter(q4, new Date('2026-10-06T08:00:00Z')).to.toISOString()).toBe(
      '2026-10-05T00:00:00.000Z',
    )
    expect(() => measuredQuarter(q4, new Date('2026-09-30T00:00:00Z'))).toThrow(/has not begun/)
  })
})
