import type { CalendarConfig, MEETING_CLASSES, MeetingRule, Ritual } from '@orgpulse/contracts'

export type MeetingClass = (typeof MEETING_CLASSES)[number]

export interface Classification {
  class: MeetingClass
  /** the configured ritual name when class is ritual, else '' */
  ritual: string
  /**
   * set on a re-read with the current rules (ISO instant): the occurrence's version becomes at
   * least this, so it replaces the copy classified under the old rules (same meeting id)
   */
  classifiedAt?: string
}

/** What the classifier knows about a person from the org chart (latest snapshot). */
export interface OrgPersonInfo {
  /** home unit id (the unit they lead, else their manager's) */
  team: string
  /** manager's email, '' at the top */
  manager: string
}

/** email → org facts; people not in the org are simply absent. */
export type OrgLookup = ReadonlyMap<string, OrgPersonInfo>

/** The parts of a meeting the rules look at. The title is used here and nowhere else. */
export interface MeetingShape {
  title: string
  organizer: string
  /** human attendees' emails (rooms and resources already removed), organizer may be among them */
  attendees: string[]
}

const norm = (s: string): string => s.toLowerCase().replace(/\s+/g, ' ').trim()

const titleHas = (title: string, words: readonly string[]): boolean => {
  const t = norm(title)
  return words.some((w) => t.includes(norm(w)))
}

/** Organizer plus attendees, each once, lower-cased. */
export function participants(m: MeetingShape): string[] {
  const all = new Set<string>()
  if (m.organizer) all.add(m.organizer.toLowerCase())
  for (const a of m.attendees) all.add(a.toLowerCase())
  return [...all]
}

function relationshipHolds(rel: MeetingRule['relationship'], people: string[], org: OrgLookup): boolean {
  if (rel === 'any') return true
  const known = people.filter((p) => org.has(p))
  if (rel === 'manager_report') {
    if (people.length !== 2 || known.length !== 2) return false
    const [a, b] = known as [string, string]
    return org.get(a)?.manager === b || org.get(b)?.manager === a
  }
  // team relationships need at least two org members to say anything
  if (known.length < 2) return false
  const teams = new Set(known.map((p) => org.get(p)?.team ?? ''))
  return rel === 'same_team' ? teams.size === 1 : teams.size > 1
}

function ruleMatches(rule: MeetingRule, m: MeetingShape, people: string[], org: OrgLookup): boolean {
  if (rule.titleKeywords.length > 0 && !titleHas(m.title, rule.titleKeywords)) return false
  if (rule.minAttendees !== undefined && people.length < rule.minAttendees) return false
  if (rule.maxAttendees !== undefined && people.length > rule.maxAttendees) return false
  return relationshipHolds(rule.relationship, people, org)
}

export function ritualFor(title: string, rituals: readonly Ritual[]): Ritual | undefined {
  return rituals.find((r) => titleHas(title, r.titleKeywords.length > 0 ? r.titleKeywords : [r.name]))
}

/**
 * Classifies one meeting: configured rituals first (by title), then the rules in order (first
 * match wins), else `other`. Runs inside the ingest service only: the title goes no further.
 */
export function classifyMeeting(
  m: MeetingShape,
  config: Pick<CalendarConfig, 'rituals' | 'rules'>,
  org: OrgLookup = new Map(),
): Classification {
  const ritual = ritualFor(m.title, config.rituals)
  if (ritual) return { class: 'ritual', ritual: ritual.name }
  const people = participants(m)
  const rule = config.rules.find((r) => ruleMatches(r, m, people, org))
  return { class: rule?.class ?? 'other', ritual: '' }
}

/** a re-read's classification carries its time: the occurrence's version is at least that */
export const stamped = (c: Classification, classifiedAt: string | undefined): Classification =>
  classifiedAt ? { ...c, classifiedAt } : c
