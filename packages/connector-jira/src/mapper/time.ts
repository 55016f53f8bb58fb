import { jiraTimeMs } from '@orgpulse/contracts'
import { RejectedRecord } from '@orgpulse/kafka'

/** A Jira timestamp in ms, or a rejection naming the field: the mappers cannot go on without it. */
export function parseJiraTime(raw: string, what: string): number {
  const ms = jiraTimeMs(raw)
  if (Number.isNaN(ms)) throw new RejectedRecord(`unparseable ${what} timestamp "${raw}"`)
  return ms
}
