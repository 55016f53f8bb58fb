import { type ClickHouseClient, CursorStore } from '@orgpulse/clickhouse'
import type { DigestConfig, DigestDirector, NamedEnv, OrgpulseConfig } from '@orgpulse/contracts'
import { OrgpulseError } from '@orgpulse/contracts'
import { type BuildOptions, buildDigest, type Digest } from './build.ts'
import { type DeliverOptions, deliver, describeDelivery } from './deliver.ts'

/**
 * the ingest_cursors connector the sends are recorded under: scope the director's email (every
 * destination took it) and `email|destination` (that one did), cursor the director's local week
 */
export const SENT_CONNECTOR = 'digest'

export interface Schedule {
  day: number
  hour: number
  timeZone: string
}

export const scheduleOf = (config: DigestConfig, d: DigestDirector): Schedule => ({
  day: d.day ?? config.day,
  hour: d.hour ?? config.hour,
  timeZone: d.timeZone ?? config.timeZone,
})

/** the local calendar date, ISO weekday and hour of `at` in `timeZone` */
function local(at: Date, timeZone: string): { date: string; weekday: number; hour: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
      weekday: 'short',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  )
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday!) + 1
  return { date: `${parts.year}-${parts.month}-${parts.day}`, weekday, hour: Number(parts.hour) }
}

/**
 * The director's local week `at` falls in, named by its Monday (YYYY-MM-DD), and whether its
 * send time (day, hour, in the director's time zone) has come: the key a send is recorded under,
 * so a director gets at most one digest per local week.
 */
export function slotOf(schedule: Schedule, at: Date): { week: string; due: boolean } {
  const l = local(at, schedule.timeZone)
  const monday = new Date(Date.parse(`${l.date}T00:00:00Z`) - (l.weekday - 1) * 86_400_000)
  const due = l.weekday > schedule.day || (l.weekday === schedule.day && l.hour >= schedule.hour)
  return { week: monday.toISOString().slice(0, 10), due }
}

/** the sends recorded in ClickHouse (ingest_cursors): they survive restarts */
export class SentStore {
  private readonly cursors: CursorStore
  constructor(client: ClickHouseClient) {
    this.cursors = new CursorStore(client)
  }
  async lastWeek(director: string): Promise<string | null> {
    return (await this.cursors.get(SENT_CONNECTOR, director))?.cursor ?? null
  }
  async record(director: string, week: string): Promise<void> {
    await this.cursors.set(SENT_CONNECTOR, director, week)
  }
}

export interface SendOptions extends DeliverOptions, BuildOptions {
  /** only this director (must be in digest.directors) */
  org?: string
  /** build and return what each would get; send and record nothing */
  dryRun?: boolean
  /** only the directors whose send time has come this week and who did not get this week's yet (the scheduler) */
  dueOnly?: boolean
  log?: (line: string) => void
}

export interface SendResult {
  director: string
  /** the director's local week the send is recorded under */
  week: string
  status: 'sent' | 'dry_run' | 'not_due' | 'already_sent' | 'failed'
  /** `earlier`: this destination already took this week's digest in a round that failed elsewhere */
  deliveries: { to: string; ok: boolean; earlier?: boolean; error?: string }[]
  digest?: Digest
}

/**
 * `orgpulse digest send`: for each configured director (or `org`), builds their digest and
 * delivers it to each of their destinations; a send is recorded once every destination took it.
 * With `dueOnly`, a director is skipped until their day and hour (in their time zone) and after
 * this week's digest was recorded.
 */
export function sendDigests(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  env: NamedEnv,
  options: Omit<SendOptions, 'env'> = {},
): Promise<SendResult[]> {
  if (options.dryRun) return sendAll(client, config, env, options)
  // one send at a time in a process: the scheduler of `start` and a forwarded `digest send --due`
  // from `ingest watch` must not both find this week's digest unsent
  const run = sending.then(() => sendAll(client, config, env, options))
  sending = run.catch(() => {})
  return run
}

let sending: Promise<unknown> = Promise.resolve()

async function sendAll(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  env: NamedEnv,
  options: Omit<SendOptions, 'env'>,
): Promise<SendResult[]> {
  const digest = config.digest
  if (!digest || digest.directors.length === 0)
    throw new OrgpulseError('config', 'no digest configured: add digest.directors to orgpulse.yaml')
  const now = options.now ?? new Date()
  const org = options.org?.trim().toLowerCase()
  const directors = org ? digest.directors.filter((d) => d.email.toLowerCase() === org) : digest.directors
  if (org && directors.length === 0) throw new OrgpulseError('not_found', `${org} is not in digest.directors`)
  const store = new SentStore(client)
  const results: SendResult[] = []
  let refreshed = options.refreshRollups === false
  for (const d of directors) {
    const email = d.email.toLowerCase()
    const slot = slotOf(scheduleOf(digest, d), now)
    if (options.dueOnly && !options.dryRun) {
      if (!slot.due) {
        results.push({ director: email, week: slot.week, status: 'not_due', deliveries: [] })
        continue
      }
      if ((await store.lastWeek(email)) === slot.week) {
        results.push({ director: email, week: slot.week, status: 'already_sent', deliveries: [] })
        continue
      }
    }
    // the rollups the alert rules read: refreshed once per run, not per director
    const built = await buildDigest(client, config, email, { now, refreshRollups: !refreshed })
    refreshed = true
    if (options.dryRun) {
      results.push({ director: email, week: slot.week, status: 'dry_run', deliveries: [], digest: built })
      continue
    }
    const deliveries: SendResult['deliveries'] = []
    for (const target of d.deliver) {
      const to = describeDelivery(target)
      // a destination that took this week's digest in an earlier, partly failed round is not sent it again
      const destination = `${email}|${to}`
      if (options.dueOnly && (await store.lastWeek(destination)) === slot.week) {
        deliveries.push({ to, ok: true, earlier: true })
        continue
      }
      try {
        await deliver(built, target, digest, { env, ...options })
        await store.record(destination, slot.week)
        deliveries.push({ to, ok: true })
      } catch (err) {
        deliveries.push({ to, ok: false, error: (err as Error).message })
        options.log?.((err as Error).message)
      }
    }
    const ok = deliveries.every((x) => x.ok)
    if (ok) await store.record(email, slot.week)
    results.push({
      director: email,
      week: slot.week,
      status: ok ? 'sent' : 'failed',
      deliveries,
      digest: built,
    })
  }
  return results
}

/**
 * The digest's schedule inside a long-running process (`orgpulse start`): every `everyMs` it
 * sends the digests that are due (sendDigests with dueOnly). A failed round is logged and tried
 * again on the next one.
 */
export function startDigestScheduler(
  client: ClickHouseClient,
  config: OrgpulseConfig,
  env: NamedEnv,
  options: { everyMs?: number; log?: (line: string) => void; now?: () => Date } = {},
): { stop(): Promise<void>; tick(): Promise<SendResult[]> } {
  let running: Promise<unknown> = Promise.resolve()
  const tick = async (): Promise<SendResult[]> => {
    const results = await sendDigests(client, config, env, {
      dueOnly: true,
      ...(options.now ? { now: options.now() } : {}),
      ...(options.log ? { log: options.log } : {}),
    })
    for (const r of results)
      if (r.status === 'sent' || r.status === 'failed')
        options.log?.(`digest for ${r.director} (week of ${r.week}): ${r.status}`)
    return results
  }
  const round = () => {
    running = running.then(tick).catch((err: Error) => options.log?.(`digest round failed: ${err.message}`))
  }
  const timer = setInterval(round, options.everyMs ?? 5 * 60_000)
  timer.unref()
  round()
  return {
    tick,
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
