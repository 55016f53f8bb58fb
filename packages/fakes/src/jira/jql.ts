/**
 * The slice of JQL the fake Jira understands: AND-joined clauses over project, key, issuetype,
 * status, updated and created, plus ORDER BY. Anything else is answered with Jira's 400, so a
 * connector that sends JQL the fake cannot check fails loudly instead of silently matching all.
 * Date literals are interpreted in the searching user's time zone, as Jira does.
 */

export interface JqlIssueView {
  key: string
  project: string
  type: string
  status: string
  updatedMs: number
  createdMs: number
}

export interface ParsedJql {
  filter(issue: JqlIssueView): boolean
  compare(a: JqlIssueView, b: JqlIssueView): number
  projects: string[]
  bounded: boolean
}

export class JqlError extends Error {}

const STRING = String.raw`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s(),"']+`

function unquote(s: string): string {
  const t = s.trim()
  return (t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")) ? t.slice(1, -1) : t
}

function splitTopLevel(text: string, separator: RegExp): string[] {
  const parts: string[] = []
  let depth = 0
  let quote: string | null = null
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = null
      continue
    }
    if (c === '"' || c === "'") quote = c
    else if (c === '(') depth++
    else if (c === ')') depth--
    else if (depth === 0) {
      separator.lastIndex = 0
      const m = separator.exec(text.slice(i))
      if (m && m.index === 0 && /\s/.test(text[i - 1] ?? ' ')) {
        parts.push(text.slice(start, i))
        i += m[0].length - 1
        start = i + 1
      }
    }
  }
  parts.push(text.slice(start))
  return parts.map((p) => p.trim()).filter(Boolean)
}

/** "2024/01/31 14:05", "2024-01-31 14:05" or "2024-01-31" in `timeZone` → epoch ms */
export function parseJqlDate(literal: string, timeZone: string): number {
  const m = /^(\d{4})[/-](\d{2})[/-](\d{2})(?:\s+(\d{2}):(\d{2}))?$/.exec(literal.trim())
  if (!m)
    throw new JqlError(
      `Date value '${literal}' for field is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd'.`,
    )
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0))
  // wall-clock time in a zone → UTC: subtract the zone's offset, re-evaluated at the result (DST)
  let utc = wall - zoneOffsetMs(wall, timeZone)
  utc = wall - zoneOffsetMs(utc, timeZone)
  return utc
}

function zoneOffsetMs(atMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(atMs))
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value)
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  return asUtc - Math.floor(atMs / 1000) * 1000
}

export function parseJql(jql: string, context: { timeZone: string; knownProjects: Set<string> }): ParsedJql {
  const [where = '', orderBy] = jql.split(/\s+ORDER\s+BY\s+/i)
  const filters: ((i: JqlIssueView) => boolean)[] = []
  const projects: string[] = []
  let bounded = false
  const clauses = where.trim() === '' ? [] : splitTopLevel(where.trim(), /^AND\s/i)
  for (let clause of clauses) {
    while (clause.startsWith('(') && clause.endsWith(')')) clause = clause.slice(1, -1).trim()
    if (/\sOR\s/i.test(clause))
      throw new JqlError(`Error in the JQL Query: the fake Jira does not support OR ('${clause}').`)
    const inMatch = /^(\w+)\s+(not\s+in|in)\s+\((.*)\)$/i.exec(clause)
    const opMatch = new RegExp(String.raw`^(\w+)\s*(>=|<=|!=|=|>|<)\s*(${STRING})$`, 'i').exec(clause)
    if (!inMatch && !opMatch)
      throw new JqlError(`Error in the JQL Query: Expecting operator but got '${clause}'.`)
    const field = (inMatch?.[1] ?? opMatch![1]!).toLowerCase()
    const op = inMatch ? inMatch[2]!.toLowerCase().replace(/\s+/, ' ') : opMatch![2]!
    const values = inMatch ? inMatch[3]!.split(',').map(unquote) : [unquote(opMatch![3]!)]
    const valueSet = new Set(values.map((v) => v.toLowerCase()))
    const member = (v: string) => {
      const has = valueSet.has(v.toLowerCase())
      return op === '=' || op === 'in' ? has : op === '!=' || op === 'not in' ? !has : null
    }
    switch (field) {
      case 'project': {
        for (const v of values) {
          if (!context.knownProjects.has(v.toUpperCase()))
            throw new JqlError(`The value '${v}' does not exist for the field 'project'.`)
        }
        if (op === '=' || op === 'in') {
          projects.push(...values.map((v) => v.toUpperCase()))
          bounded = true
        }
        filters.push((i) => member(i.project) ?? false)
        break
      }
      case 'key':
      case 'issuekey':
        if (op === '=' || op === 'in') bounded = true
        filters.push((i) => member(i.key) ?? false)
        break
      case 'issuetype':
      case 'type':
        filters.push((i) => member(i.type) ?? false)
        break
      case 'status':
        filters.push((i) => member(i.status) ?? false)
        break
      case 'updated':
      case 'created': {
        if (inMatch) throw new JqlError(`Error in the JQL Query: '${field}' does not support IN.`)
        const at = parseJqlDate(values[0]!, context.timeZone)
        const pick = (i: JqlIssueView) => (field === 'updated' ? i.updatedMs : i.createdMs)
        const cmp: Record<string, (a: number) => boolean> = {
          '>=': (a) => a >= at,
          '>': (a) => a > at,
          '<=': (a) => a <= at,
          '<': (a) => a < at,
          '=': (a) => a === at,
          '!=': (a) => a !== at,
        }
        filters.push((i) => cmp[op]!(pick(i)))
        break
      }
      default:
        throw new JqlError(`Field '${field}' does not exist or you do not have permission to view it.`)
    }
  }
  const order: { field: 'updated' | 'created' | 'key'; dir: 1 | -1 }[] = []
  for (const part of (orderBy ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [f = '', d = 'ASC'] = part.split(/\s+/)
    const field = f.toLowerCase()
    if (field !== 'updated' && field !== 'created' && field !== 'key')
      throw new JqlError(`Not able to sort using field '${f}'.`)
    order.push({ field, dir: d.toUpperCase() === 'DESC' ? -1 : 1 })
  }
  if (order.length === 0) order.push({ field: 'key', dir: -1 })
  const keyNum = (k: string) => Number(k.split('-').pop())
  return {
    projects,
    bounded,
    filter: (i) => filters.every((f) => f(i)),
    compare: (a, b) => {
      for (const o of order) {
        const d =
          o.field === 'key'
            ? a.project.localeCompare(b.project) || keyNum(a.key) - keyNum(b.key)
            : o.field === 'updated'
              ? a.updatedMs - b.updatedMs
              : a.createdMs - b.createdMs
        if (d !== 0) return d * o.dir
      }
      return 0
    },
  }
}
