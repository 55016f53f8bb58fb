import { OrgpulseError } from '@orgpulse/contracts'
/** Calendar quarters in UTC: `2026-Q3` = [2026-07-01, 2026-10-01). */
export interface Quarter {
  label: string
  from: Date
  to: Date
}

export class QuarterError extends OrgpulseError {
  constructor(message: string) {
    super('invalid_input', message)
  }
}

const MIN_YEAR = 1971
const MAX_YEAR = 2105

export function parseQuarter(label: string): Quarter {
  const m = /^(\d{4})-Q([1-4])$/.exec(label.trim())
  if (!m) throw new QuarterError(`quarter must look like 2026-Q3 (got "${label}")`)
  const year = Number(m[1])
  const q = Number(m[2])
  // ClickHouse DateTime spans 1970 to 2106: outside it the bounds cannot be stored or compared, and
  // an export also reads the previous quarter, so the first quarter allowed starts in 1971
  if (year < MIN_YEAR || year > MAX_YEAR)
    throw new QuarterError(`quarter year must be between ${MIN_YEAR} and ${MAX_YEAR} (got "${label}")`)
  return {
    label: `${year}-Q${q}`,
    from: new Date(Date.UTC(year, (q - 1) * 3, 1)),
    to: new Date(Date.UTC(year, q * 3, 1)),
  }
}

export function previousQuarter(q: Quarter): Quarter {
  const year = q.from.getUTCFullYear()
  const n = q.from.getUTCMonth() / 3 + 1
  return parseQuarter(n === 1 ? `${year - 1}-Q4` : `${year}-Q${n - 1}`)
}

export const isoDay = (d: Date): string => d.toISOString().slice(0, 10)
