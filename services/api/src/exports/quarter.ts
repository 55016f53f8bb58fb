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

export function parseQuarter(label: string): Quarter {
  const m = /^(\d{4})-Q([1-4])$/.exec(label.trim())
  if (!m) throw new QuarterError(`quarter must look like 2026-Q3 (got "${label}")`)
  const year = Number(m[1])
  const q = Number(m[2])
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
