/**
 * JQL for one project's sync. Dates in JQL are read in the SEARCHING USER's time zone (their Jira
 * profile), at minute precision: the cursor is formatted in that zone and floored to the minute,
 * so the window only ever grows (overlap is deduplicated downstream by event id).
 */
export function formatJqlDate(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(new Date(ms))
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00'
  return `${get('year')}/${get('month')}/${get('day')} ${get('hour')}:${get('minute')}`
}

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`

/** `ORDER BY updated ASC, key ASC`: pages do not shift when issues tie on `updated`. */
export function buildSyncJql(
  project: string,
  options: { sinceMs: number | null; timeZone: string; extra?: string | undefined },
): string {
  const clauses = [`project = ${quote(project)}`]
  if (options.sinceMs !== null)
    clauses.push(`updated >= ${quote(formatJqlDate(options.sinceMs, options.timeZone))}`)
  if (options.extra?.trim()) clauses.push(`(${options.extra.trim()})`)
  return `${clauses.join(' AND ')} ORDER BY updated ASC, key ASC`
}
