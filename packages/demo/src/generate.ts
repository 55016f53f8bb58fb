import { type CanonicalEventInput, type DecisionRecordInput, eventId } from '@orgpulse/contracts'
import { between, pick, rng } from './random.ts'

export interface DemoOptions {
  people: number
  weeks: number
  seed: number
  /** the demo's last week ends here (exclusive); default: the Monday of the current week, UTC */
  end?: Date
}

export interface DemoPerson {
  email: string
  name: string
  manager: string
  title: string
  team: string
}

/** the company without its activity: who works where, the window and the planted stories */
export interface DemoOutline {
  domain: string
  start: Date
  end: Date
  /** HR exports: the initial org and the org after the mid-year re-org */
  snapshots: { effective: string; people: DemoPerson[] }[]
  /** the planted stories, for the README and for tests */
  stories: {
    centralisingDirector: string
    slowTeam: string
    blockingPair: [string, string]
    stoppedRitual: { name: string; stoppedAfter: string }
    reorg: { effective: string; team: string; from: string; to: string }
  }
}

export interface DemoCompany extends DemoOutline {
  decisions: DecisionRecordInput[]
  /** non-decision activity as canonical events (dependencies, meetings, cycles) */
  events: CanonicalEventInput[]
}

/** one week of the company's activity, in the order the whole company lists it */
export interface DemoWeek {
  week: number
  decisions: DecisionRecordInput[]
  events: CanonicalEventInput[]
}

/** The company as its outline plus its activity week by week, generated as the weeks are read (once). */
export interface DemoStream {
  outline: DemoOutline
  weeks: Generator<DemoWeek, void, undefined>
}

const FIRST = [
  'Ada',
  'Ben',
  'Cleo',
  'Dev',
  'Eli',
  'Fay',
  'Gus',
  'Hana',
  'Ivo',
  'Jade',
  'Kai',
  'Lena',
  'Milo',
  'Nia',
  'Omar',
  'Pia',
  'Quin',
  'Rosa',
  'Sami',
  'Tara',
  'Uma',
  'Vik',
  'Wren',
  'Xia',
  'Yuri',
  'Zoe',
]
const LAST = [
  'Adams',
  'Baker',
  'Chen',
  'Diaz',
  'Evans',
  'Fischer',
  'Garcia',
  'Hughes',
  'Ito',
  'Jones',
  'Khan',
  'Lopez',
  'Moreau',
  'Novak',
  'Okafor',
  'Patel',
  'Quinn',
  'Rossi',
  'Silva',
  'Tanaka',
]
const TEAMS = [
  'Payments',
  'Checkout',
  'Search',
  'Identity',
  'Mobile',
  'Platform',
  'Data',
  'Growth',
  'Billing',
  'Catalog',
  'Messaging',
  'Insights',
  'Infra',
  'Security',
  'Onboarding',
  'Pricing',
  'Ledger',
  'Reporting',
  'Partners',
  'Support',
]

const DAY = 86400000
const HOUR = 3600000

export function mondayOf(d: Date): Date {
  const t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
  const dow = (new Date(t).getUTCDay() + 6) % 7
  return new Date(t - dow * DAY)
}

/**
 * A synthetic company with stories a director would recognise: one director who decides
 * everything, one team whose decisions wait weeks, two teams blocking each other, a ritual that
 * stopped, and a re-org halfway through.
 */
export function generateDemo(options: DemoOptions): DemoCompany {
  const { outline, weeks } = streamDemo(options)
  const decisions: DecisionRecordInput[] = []
  const events: CanonicalEventInput[] = []
  for (const w of weeks) {
    for (const d of w.decisions) decisions.push(d)
    for (const e of w.events) events.push(e)
  }
  const { domain, start, end, snapshots, stories } = outline
  return { domain, start, end, snapshots, decisions, events, stories }
}

/**
 * The same company as `generateDemo`, a week at a time: a large demo is written while it is
 * generated, and only the week in hand is held (a 10,000-person year is ~700,000 records).
 */
export function streamDemo(options: DemoOptions): DemoStream {
  const r = rng(options.seed)
  const domain = 'demo.orgpulse.dev'
  const end = mondayOf(options.end ?? new Date())
  const start = new Date(end.getTime() - options.weeks * 7 * DAY)
  const n = Math.max(options.people, 30)
  let seq = 0
  const person = (manager: string, title: string, team: string): DemoPerson => {
    const name = `${FIRST[seq % FIRST.length]} ${LAST[Math.floor(seq / FIRST.length) % LAST.length]}`
    const email = `${name.toLowerCase().replace(/\s+/g, '.')}${seq >= FIRST.length * LAST.length ? seq : ''}@${domain}`
    seq++
    return { email, name, manager, title, team }
  }

  // shape: CEO → directors (≈ one per 30 people) → managers → ICs (teams of ≈ 6)
  const ceo = person('', 'CEO', '')
  const people: DemoPerson[] = [ceo]
  const directorCount = Math.max(2, Math.round(n / 30))
  const directors = Array.from({ length: directorCount }, (_, i) =>
    person(ceo.email, i % 2 === 0 ? 'Director of Engineering' : 'Director of Product', ''),
  )
  people.push(...directors)
  const teams: { name: string; manager: DemoPerson; members: DemoPerson[]; director: DemoPerson }[] = []
  let remaining = n - people.length
  let t = 0
  while (remaining > 1) {
    const director = directors[t % directors.length]!
    const name = TEAMS[t % TEAMS.length]! + (t >= TEAMS.length ? ` ${Math.floor(t / TEAMS.length) + 1}` : '')
    const manager = person(director.email, 'Engineering Manager', name)
    const size = Math.min(remaining - 1, 5 + Math.floor(r() * 3))
    const members = Array.from({ length: size }, () =>
      person(manager.email, pick(r, ['Engineer', 'Senior Engineer', 'Designer', 'Product Manager']), name),
    )
    people.push(manager, ...members)
    teams.push({ name, manager, members, director })
    remaining -= size + 1
    t++
  }

  const centralising = directors[0]!
  const slowTeam = teams.find((x) => x.director !== centralising) ?? teams[1]!
  const blockA = teams[0]!
  const blockB = teams.find((x) => x.director === blockA.director && x !== blockA) ?? teams[1]!
  // re-org: halfway through, the last team of director 2 moves to director 1
  const reorgTeam = [...teams].reverse().find((x) => x.director === directors[1]) ?? teams[teams.length - 1]!
  const reorgAt = new Date(start.getTime() + Math.floor(options.weeks / 2) * 7 * DAY)
  const after = people.map((p) =>
    p.email === reorgTeam.manager.email ? { ...p, manager: centralising.email } : p,
  )

  const iso = isoFormatter()
  const directorOf = (team: (typeof teams)[number], at: number) =>
    team === reorgTeam && at >= reorgAt.getTime() ? centralising : team.director
  // who a decision's raiser can be, and each director's managers: the same lists every week
  const raisers = new Map(teams.map((x) => [x, [...x.members, x.manager]]))
  const managersOf = new Map(
    directors.map((d) => [d, teams.filter((x) => x.director === d).map((x) => x.manager)]),
  )

  function* weeks(): Generator<DemoWeek, void, undefined> {
    for (let w = 0; w < options.weeks; w++) {
      const decisions: DecisionRecordInput[] = []
      const events: CanonicalEventInput[] = []
      const weekStart = start.getTime() + w * 7 * DAY
      for (const team of teams) {
        // decisions: ≈ 2 a week per team
        const count = 1 + Math.floor(r() * 3)
        for (let k = 0; k < count; k++) {
          const raiser = pick(r, raisers.get(team)!)
          const raisedAt =
            weekStart + Math.floor(between(r, 0, 5)) * DAY + Math.floor(between(r, 9, 17)) * HOUR
          const director = directorOf(team, raisedAt)
          const slow = team === slowTeam
          const latency = Math.floor(slow ? between(r, 10, 35) * DAY : between(r, 2, 72) * HOUR)
          const decidedAt = raisedAt + latency
          const id = `DEC-${w}-${team.name.replace(/\s+/g, '')}-${k}`
          const base = {
            id,
            title: `${team.name}: decision ${w}.${k}`,
            raisedBy: raiser.email,
            raisedAt: iso(raisedAt),
            team: team.name,
          }
          if (decidedAt >= end.getTime()) {
            // still open: waiting on the team's manager, or, in the centralising director's org, on
            // the director (no draw from the random stream: every other figure stays as it was)
            const expected = director === centralising ? director : team.manager
            decisions.push({ ...base, status: 'proposed', expectedDecider: expected.email })
            continue
          }
          let decider = raiser === team.manager ? team.manager : team.manager
          const escalate = r() < (director === centralising ? 0.7 : 0.12)
          if (escalate) decider = director
          const explicit = escalate && r() < 0.5
          decisions.push({
            ...base,
            status: r() < 0.08 ? 'rejected' : 'decided',
            decidedBy: decider.email,
            decidedAt: iso(decidedAt),
            ...(explicit ? { escalatedTo: [director.email], escalatedAt: iso(raisedAt + latency / 3) } : {}),
          })
        }

        // planning: a two-week cycle per team ending every other week
        if (w % 2 === 1) {
          const committed = 20 + Math.floor(r() * 20)
          const added = Math.floor(committed * between(r, 0, team === slowTeam ? 0.5 : 0.25))
          const completed = Math.min(
            committed + added,
            Math.floor(committed * between(r, team === slowTeam ? 0.4 : 0.65, 1)),
          )
          const cycleId = `${team.name}-${w}`
          const endsAt = weekStart + 7 * DAY
          events.push({
            id: eventId('linear', cycleId, 'cycle'),
            source: 'linear',
            sourceId: cycleId,
            type: 'cycle.snapshot',
            cycleId: `linear:${cycleId}`,
            team: `u:${team.manager.email}`,
            name: `${team.name} cycle ${(w + 1) / 2}`,
            startsAt: iso(endsAt - 14 * DAY),
            endsAt: iso(endsAt),
            committedScope: committed,
            completedScope: completed,
            addedScope: added,
            occurredAt: iso(Math.min(endsAt, end.getTime() - 1)),
            version: endsAt,
          })
        }

        // meetings: weekly team meeting and 1:1s
        const meeting = (
          key: string,
          startMs: number,
          hours: number,
          klass: 'team' | 'one_on_one',
          organizer: DemoPerson,
          attendees: DemoPerson[],
          ritual = '',
        ) => {
          events.push({
            id: eventId('calendar', key, 'occurrence'),
            source: 'calendar',
            sourceId: key,
            type: 'meeting.held',
            meetingId: key,
            start: iso(startMs),
            end: iso(startMs + hours * HOUR),
            class: klass,
            ritual,
            organizer: organizer.email,
            attendees: attendees.map((a) => ({
              person: a.email,
              response: r() < 0.05 ? 'declined' : 'accepted',
            })),
            occurredAt: iso(startMs),
            version: startMs,
          })
        }
        meeting(`team-${team.name}-${w}`, weekStart + 1 * DAY + 10 * HOUR, 1, 'team', team.manager, [
          team.manager,
          ...team.members,
        ])
        for (const [i, m] of team.members.entries()) {
          meeting(
            `1on1-${m.email}-${w}`,
            weekStart + (i % 5) * DAY + 14 * HOUR,
            0.5,
            'one_on_one',
            team.manager,
            [team.manager, m],
          )
        }
      }

      // directors: escalation reviews (the centralising director lives in them) and the ritual
      for (const d of directors) {
        const reviews = d === centralising ? 4 : 1
        for (let k = 0; k < reviews; k++) {
          const managers = managersOf.get(d)!
          const key = `review-${d.email}-${w}-${k}`
          events.push({
            id: eventId('calendar', key, 'occurrence'),
            source: 'calendar',
            sourceId: key,
            type: 'meeting.held',
            meetingId: key,
            start: iso(weekStart + k * DAY + 15 * HOUR),
            end: iso(weekStart + k * DAY + 16.5 * HOUR),
            class: 'escalation',
            ritual: '',
            organizer: d.email,
            attendees: [d, ...managers].map((p) => ({ person: p.email, response: 'accepted' as const })),
            occurredAt: iso(weekStart + k * DAY + 15 * HOUR),
            version: weekStart,
          })
        }
      }
      if (w < Math.floor(options.weeks * 0.6)) {
        const key = `ritual-pe-sync-${w}`
        events.push({
          id: eventId('calendar', key, 'occurrence'),
          source: 'calendar',
          sourceId: key,
          type: 'meeting.held',
          meetingId: key,
          start: iso(weekStart + 3 * DAY + 9 * HOUR),
          end: iso(weekStart + 3 * DAY + 10 * HOUR),
          class: 'ritual',
          ritual: 'weekly product-engineering director sync',
          organizer: ceo.email,
          attendees: [ceo, ...directors].map((p) => ({ person: p.email, response: 'accepted' as const })),
          occurredAt: iso(weekStart + 3 * DAY + 9 * HOUR),
          version: weekStart,
        })
      }

      // dependencies: the planted pair blocks each other all the time; elsewhere occasional blockers
      const link = (
        key: string,
        blocker: (typeof teams)[number],
        blocked: (typeof teams)[number],
        createdMs: number,
        resolveAfterDays: number | null,
      ) => {
        const common = {
          source: 'jira' as const,
          sourceId: key,
          linkId: `jira:${key}`,
          blockerItem: `${blocker.name.toUpperCase().slice(0, 4)}-${key}`,
          blockedItem: `${blocked.name.toUpperCase().slice(0, 4)}-${key}`,
          blockerTeam: `u:${blocker.manager.email}`,
          blockedTeam: `u:${blocked.manager.email}`,
        }
        events.push({
          ...common,
          id: eventId('jira', key, 'linked'),
          type: 'dependency.linked',
          occurredAt: iso(createdMs),
          version: createdMs,
        })
        const resolvedMs = resolveAfterDays === null ? null : createdMs + resolveAfterDays * DAY
        if (resolvedMs !== null && resolvedMs < end.getTime()) {
          events.push({
            ...common,
            id: eventId('jira', key, 'resolved'),
            type: 'dependency.resolved',
            reason: 'blocker_done',
            occurredAt: iso(resolvedMs),
            version: resolvedMs,
          })
        }
      }
      link(`AB-${w}`, blockA, blockB, weekStart + DAY, Math.round(between(r, 15, 45)))
      link(`BA-${w}`, blockB, blockA, weekStart + 2 * DAY, r() < 0.3 ? null : Math.round(between(r, 10, 40)))
      if (teams.length > 3) {
        const x = pick(r, teams)
        const y = pick(r, teams)
        if (x !== y) link(`X-${w}`, x, y, weekStart + 3 * DAY, Math.round(between(r, 1, 12)))
      }
      yield { week: w, decisions, events }
    }
  }

  const outline: DemoOutline = {
    domain,
    start,
    end,
    snapshots: [
      { effective: start.toISOString().slice(0, 10), people },
      { effective: reorgAt.toISOString().slice(0, 10), people: after },
    ],
    stories: {
      centralisingDirector: centralising.email,
      slowTeam: slowTeam.name,
      blockingPair: [blockA.name, blockB.name],
      stoppedRitual: {
        name: 'weekly product-engineering director sync',
        stoppedAfter: iso(start.getTime() + Math.floor(options.weeks * 0.6) * 7 * DAY).slice(0, 10),
      },
      reorg: {
        effective: reorgAt.toISOString().slice(0, 10),
        team: reorgTeam.name,
        from: directors[1]!.email,
        to: centralising.email,
      },
    },
  }
  return { outline, weeks: weeks() }
}

/**
 * `new Date(ms).toISOString()`, with each day's date part formatted once: the generator formats
 * millions of instants, and toISOString was a tenth of its time.
 */
function isoFormatter(): (ms: number) => string {
  const days = new Map<number, string>()
  const two = (n: number) => (n < 10 ? `0${n}` : String(n))
  return (at: number) => {
    // as Date does: a fractional millisecond is cut off
    const ms = Math.trunc(at)
    const day = Math.floor(ms / DAY)
    let date = days.get(day)
    if (date === undefined) {
      date = new Date(day * DAY).toISOString().slice(0, 11)
      days.set(day, date)
    }
    const t = ms - day * DAY
    const milli = t % 1000
    const s = Math.floor(t / 1000)
    return `${date}${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}.${milli < 10 ? `00${milli}` : milli < 100 ? `0${milli}` : milli}Z`
  }
}

export function hrCsv(people: DemoPerson[]): string {
  const esc = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
  const rows = people.map((p) => [p.email, p.name, p.manager, p.title, p.team].map(esc).join(','))
  return `${['email,name,manager_email,title,team', ...rows].join('\n')}\n`
}
