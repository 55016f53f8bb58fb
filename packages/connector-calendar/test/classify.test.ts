import { calendarConfigSchema } from '@orgpulse/contracts'
import { describe, expect, it } from 'vitest'
import { classifyMeeting, type OrgLookup } from '../src/classify.ts'

const org: OrgLookup = new Map([
  ['dir@acme.com', { team: 'u:dir@acme.com', manager: '' }],
  ['mgr@acme.com', { team: 'u:mgr@acme.com', manager: 'dir@acme.com' }],
  ['ana@acme.com', { team: 'u:mgr@acme.com', manager: 'mgr@acme.com' }],
  ['bo@acme.com', { team: 'u:mgr@acme.com', manager: 'mgr@acme.com' }],
  ['cy@acme.com', { team: 'u:pm@acme.com', manager: 'pm@acme.com' }],
])

const defaults = calendarConfigSchema.parse({
  rituals: [
    {
      name: 'weekly product-engineering director sync',
      cadence: 'weekly',
      titleKeywords: ['director sync', 'pe sync'],
    },
    { name: 'monthly portfolio review', cadence: 'monthly' },
    { name: 'talent calibration', cadence: 'quarterly' },
  ],
})

const m = (title: string, organizer: string, attendees: string[]) => ({ title, organizer, attendees })

describe('meeting classification (defaults + configured rituals)', () => {
  it('recognises configured rituals by keyword or by name, before any rule', () => {
    expect(classifyMeeting(m('PE Sync – week 12', 'dir@acme.com', ['mgr@acme.com']), defaults, org)).toEqual({
      class: 'ritual',
      ritual: 'weekly product-engineering director sync',
    })
    expect(
      classifyMeeting(
        m('Monthly  Portfolio Review (Q3)', 'dir@acme.com', ['mgr@acme.com', 'cy@acme.com']),
        defaults,
        org,
      ),
    ).toEqual({
      class: 'ritual',
      ritual: 'monthly portfolio review',
    })
    expect(
      classifyMeeting(m('Talent calibration: escalation of ratings', 'dir@acme.com', []), defaults, org)
        .class,
    ).toBe('ritual')
  })

  it('escalation and decision review by title keywords', () => {
    expect(
      classifyMeeting(
        m('Escalation: payments outage ownership', 'mgr@acme.com', ['dir@acme.com', 'ana@acme.com']),
        defaults,
        org,
      ),
    ).toEqual({
      class: 'escalation',
      ritual: '',
    })
    expect(
      classifyMeeting(
        m('Design review – search v2', 'ana@acme.com', ['bo@acme.com', 'cy@acme.com']),
        defaults,
        org,
      ).class,
    ).toBe('decision_review')
  })

  it('one_on_one by attendee count (organiser included) or by title with at most two people', () => {
    expect(
      classifyMeeting(m('catch-up', 'mgr@acme.com', ['mgr@acme.com', 'ana@acme.com']), defaults, org).class,
    ).toBe('one_on_one')
    expect(classifyMeeting(m('Ana / Mgr 1:1', 'mgr@acme.com', ['ana@acme.com']), defaults, org).class).toBe(
      'one_on_one',
    )
  })

  it('team vs cross_team from the org chart; unknown people make it other', () => {
    expect(
      classifyMeeting(m('standup', 'mgr@acme.com', ['ana@acme.com', 'bo@acme.com']), defaults, org).class,
    ).toBe('team')
    expect(
      classifyMeeting(m('api contract', 'ana@acme.com', ['bo@acme.com', 'cy@acme.com']), defaults, org).class,
    ).toBe('cross_team')
    expect(
      classifyMeeting(m('vendor call', 'ana@acme.com', ['x@vendor.io', 'y@vendor.io']), defaults, org).class,
    ).toBe('other')
  })

  it('configured rules apply in order (first match wins); defaultRules: false drops the defaults', () => {
    const custom = calendarConfigSchema.parse({
      defaultRules: false,
      rules: [
        { class: 'one_on_one', relationship: 'manager_report' },
        { class: 'escalation', titleKeywords: ['war room'], minAttendees: 3 },
        { class: 'cross_team', minAttendees: 6 },
      ],
    })
    expect(classifyMeeting(m('weekly', 'mgr@acme.com', ['ana@acme.com']), custom, org).class).toBe(
      'one_on_one',
    )
    // two peers are not a manager/report pair, and no other rule matches
    expect(classifyMeeting(m('weekly', 'bo@acme.com', ['ana@acme.com']), custom, org).class).toBe('other')
    expect(
      classifyMeeting(m('War Room', 'mgr@acme.com', ['ana@acme.com', 'bo@acme.com']), custom, org).class,
    ).toBe('escalation')
    expect(classifyMeeting(m('War Room', 'mgr@acme.com', ['ana@acme.com']), custom, org).class).toBe(
      'one_on_one',
    )
    expect(
      classifyMeeting(
        m('all hands', 'a@x.io', ['b@x.io', 'c@x.io', 'd@x.io', 'e@x.io', 'f@x.io']),
        custom,
        org,
      ).class,
    ).toBe('cross_team')
  })

  it('custom rules come first, the defaults after them', () => {
    const first = calendarConfigSchema.parse({ rules: [{ class: 'escalation', titleKeywords: ['weekly'] }] })
    expect(first.rules.length).toBe(defaults.rules.length + 1)
    // the custom rule wins where it matches ...
    expect(classifyMeeting(m('weekly', 'mgr@acme.com', ['ana@acme.com']), first, org).class).toBe(
      'escalation',
    )
    // ... and the defaults still classify what it does not
    expect(classifyMeeting(m('1:1', 'mgr@acme.com', ['ana@acme.com']), first, org).class).toBe(
      classifyMeeting(m('1:1', 'mgr@acme.com', ['ana@acme.com']), defaults, org).class,
    )
    expect(calendarConfigSchema.parse({ defaultRules: false }).rules).toEqual([])
  })

  it('rejects contradictory rules in the config', () => {
    expect(() =>
      calendarConfigSchema.parse({ rules: [{ class: 'team', minAttendees: 5, maxAttendees: 2 }] }),
    ).toThrow(/minAttendees/)
    expect(() => calendarConfigSchema.parse({ rules: [{ class: 'ritual' }] })).toThrow()
    expect(() => calendarConfigSchema.parse({ ics: [{ owner: 'a@acme.com' }] })).toThrow(
      /exactly one of url or file/,
    )
  })
})
