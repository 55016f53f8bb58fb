import { type ClickHouseClient, queryRows } from '@orgpulse/clickhouse'
import { type Cadence, type OrgpulseConfig, toClickHouseTime } from '@orgpulse/contracts'
import { DAYS_CTE, HELD_CTE, RITUAL_PERIODS_CTES, ritualParams } from './families/meetings.ts'
import { SCOPE_CLOSURE_CTE, SNAPSHOTS_CTE, UNIT_NAMES_CTE, WINDOWS_CTE } from './sql.ts'

export interface RitualPeriod {
  /** first day of the cadence period (UTC, YYYY-MM-DD) */
  start: string
  /** the day after its last day */
  end: string
  /** the ritual is expected in the scope for this period (its owner's unit is inside the scope then) */
  expected: boolean
  /** an occurrence of the ritual that was not cancelled started in the period (false when not expected) */
  held: boolean
}

export interface RitualHistory {
  name: string
  cadence: Cadence
  owner: string | null
  /** every cadence period lying wholly inside the window, in order */
  periods: RitualPeriod[]
  /** periods expected and held */
  held: number
  /** periods expected */
  expected: number
}

/**
 * Each configured ritual, in config order, with its cadence periods inside [from, to): expected
 * in the scope or not, held or not. It reads the relation `ritual_adherence` and
 * `rituals_stopped` are computed from (RITUAL_PERIODS_CTES), so Σ held / Σ expected over the
 * rituals is exactly the scope's ritual_adherence for the same window. Privacy and calendar
 * coverage are the caller's to apply: show the history where the scope's ritual_adherence is
 * shown (not withheld).
 */
export async function ritualHistory(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  options: { scope: string; from: Date; to: Date },
): Promise<RitualHistory[]> {
  const rituals = config.calendar?.rituals ?? []
  if (rituals.length === 0 || options.to <= options.from) return []
  const rows = await queryRows<{
    name: string
    p_start: string
    p_end: string
    expected: number
    held: number
  }>(
    client,
    `WITH ${SNAPSHOTS_CTE}, ${WINDOWS_CTE}, ${SCOPE_CLOSURE_CTE}, ${UNIT_NAMES_CTE}, ${DAYS_CTE}, ${HELD_CTE},
${RITUAL_PERIODS_CTES}
SELECT p.name AS name, toString(p.p_start) AS p_start, toString(p.p_end) AS p_end,
  e.scope != '' AS expected, if(e.scope != '', e.held, 0) AS held
FROM (SELECT DISTINCT name, p_start, p_end FROM periods) AS p
LEFT JOIN (SELECT name, p_start, scope, held FROM expected_held WHERE scope = {scope:String}) AS e
  ON e.name = p.name AND e.p_start = p.p_start
ORDER BY p.name, p.p_start`,
    {
      scopes: [options.scope],
      scope: options.scope,
      w_froms: [toClickHouseTime(options.from)],
      w_tos: [toClickHouseTime(options.to)],
      ...ritualParams(config),
    },
  )
  return rituals.map((r) => {
    const periods = rows
      .filter((row) => row.name === r.name)
      .map((row) => ({
        start: row.p_start,
        end: row.p_end,
        expected: Boolean(Number(row.expected)),
        held: Boolean(Number(row.held)),
      }))
    return {
      name: r.name,
      cadence: r.cadence,
      owner: r.owner ?? null,
      periods,
      held: periods.filter((p) => p.expected && p.held).length,
      expected: periods.filter((p) => p.expected).length,
    }
  })
}
