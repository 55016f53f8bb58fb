import { describe, expect, it } from 'vitest'
import { instant, parseStrictDate, strictDate, toClickHouseTime } from '../src/time.ts'

describe('the one strict date parser', () => {
  it.each([
    ['2026-09-01', '2026-09-01T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2026-09-01T09:30:00Z', '2026-09-01T09:30:00.000Z'],
    ['2026-09-01T11:30:00+02:00', '2026-09-01T09:30:00.000Z'],
    ['2026-09-01T09:30:00.250-0130', '2026-09-01T11:00:00.250Z'],
    ['2026-09-01T09:30Z', '2026-09-01T09:30:00.000Z'],
  ])('reads %s', (value, iso) => {
    expect(parseStrictDate(value, '--from').toISOString()).toBe(iso)
  })

  it.each([
    ['2026-09-31', '--from: 2026-09-31 is not a date: September has 30 days'],
    ['2026-02-29', '--from: 2026-02-29 is not a date: February has 28 days in 2026'],
    ['2026-13-01', '--from: 2026-13-01 is not a date: there is no month 13'],
    ['2026-00-10', '--from: 2026-00-10 is not a date: there is no month 00'],
    ['2026-09-01T24:00:00Z', '--from: 2026-09-01T24:00:00Z is not a time of day'],
    ['09/01/2026', '--from: "09/01/2026" is not a date: use YYYY-MM-DD'],
    ['2026-9-1', '--from: "2026-9-1" is not a date: use YYYY-MM-DD'],
    ['1 Oct 2026', '--from: "1 Oct 2026" is not a date: use YYYY-MM-DD'],
    ['2026-09-01T09:30:00', '--from: "2026-09-01T09:30:00" is not a date'],
    ['', '--from: "" is not a date'],
  ])('refuses %j, naming the option and the formats', (value, message) => {
    let err: Error | undefined
    try {
      parseStrictDate(value, '--from')
    } catch (e) {
      err = e as Error
    }
    expect(err?.message).toContain(message)
    expect((err as unknown as { kind: string }).kind).toBe('invalid_input')
  })

  it('the query-parameter schema and the record schema refuse a day that does not exist', () => {
    expect(strictDate.safeParse('2026-09-31').success).toBe(false)
    expect(strictDate.safeParse('2026-09-30').success).toBe(true)
    // records: Date.parse would roll 2026-09-31 over to October 1
    expect(instant.safeParse('2026-09-31').success).toBe(false)
    expect(instant.safeParse('2026-09-31T10:00:00Z').success).toBe(false)
    expect(instant.parse('2026-09-30T10:00:00Z')).toBe('2026-09-30T10:00:00.000Z')
  })

  it('the UTC fast path gives what the full checks give, and refuses what they refuse', () => {
    expect(instant.parse('2026-07-01T09:30:00Z')).toBe('2026-07-01T09:30:00.000Z')
    expect(instant.parse('2026-07-01T09:30:00.250Z')).toBe('2026-07-01T09:30:00.250Z')
    expect(instant.parse(' 2026-07-01T09:30:00Z ')).toBe('2026-07-01T09:30:00.000Z')
    expect(instant.parse('2028-02-29T23:59:59Z')).toBe('2028-02-29T23:59:59.000Z')
    // the same instant through the full path (an offset, a bare day)
    expect(instant.parse('2026-07-01T11:30:00+02:00')).toBe('2026-07-01T09:30:00.000Z')
    expect(instant.parse('2026-07-01')).toBe('2026-07-01T00:00:00.000Z')
    // a day or time of day that does not exist never comes back rolled over
    for (const v of ['2027-02-29T10:00:00Z', '2026-04-31T00:00:00Z', '2026-07-01T23:60:00Z'])
      expect(instant.safeParse(v).success, v).toBe(false)
    // the stored range holds on the fast path too
    expect(instant.safeParse('1899-12-31T23:59:59Z').success).toBe(false)
    expect(instant.parse('1900-01-01T00:00:00Z')).toBe('1900-01-01T00:00:00.000Z')
    expect(instant.safeParse('2300-01-01T00:00:00.000Z').success).toBe(false)
  })
})

describe('toClickHouseTime', () => {
  // the slow path, as it was: every string through Date
  const viaDate = (s: string) => new Date(s).toISOString().replace('T', ' ').replace('Z', '')

  it('gives the text form of canonical instants, as Date would', () => {
    expect(toClickHouseTime('2026-07-01T09:30:05.123Z')).toBe('2026-07-01 09:30:05.123')
    expect(toClickHouseTime(new Date('2026-07-01T09:30:05.123Z'))).toBe('2026-07-01 09:30:05.123')
    // rolled over by Date, as before: the fast path must not take these
    expect(toClickHouseTime('2026-09-31T10:00:00.000Z')).toBe('2026-10-01 10:00:00.000')
    expect(toClickHouseTime('2026-02-29T00:00:00.000Z')).toBe('2026-03-01 00:00:00.000')
    expect(toClickHouseTime('2026-01-01T24:00:00.000Z')).toBe('2026-01-02 00:00:00.000')
    expect(toClickHouseTime('2026-07-01T09:30:05Z')).toBe('2026-07-01 09:30:05.000')
    expect(toClickHouseTime('2026-07-01T11:30:05.000+02:00')).toBe('2026-07-01 09:30:05.000')
    expect(() => toClickHouseTime('2026-13-01T00:00:00.000Z')).toThrow(RangeError)
  })

  it('matches Date on every day and edge time of four years, leap days included', () => {
    const times = [
      '00:00:00.000',
      '23:59:59.999',
      '12:34:56.789',
      '24:00:00.000',
      '23:60:00.000',
      '23:59:60.000',
    ]
    let checked = 0
    for (let y = 2023; y <= 2026; y++) {
      for (let m = 1; m <= 12; m++) {
        for (let d = 1; d <= 31; d++) {
          for (const t of times) {
            const s = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T${t}Z`
            const parsed = new Date(s)
            if (Number.isNaN(parsed.getTime())) expect(() => toClickHouseTime(s)).toThrow(RangeError)
            else expect(toClickHouseTime(s)).toBe(viaDate(s))
            checked++
          }
        }
      }
    }
    expect(checked).toBe(4 * 12 * 31 * times.length)
  })
})
