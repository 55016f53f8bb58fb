import { describe, expect, it } from 'vitest'
import {
  applyPatch,
  guardReasons,
  matches,
  normalizeUser,
  OrgValidationError,
  parseFilter,
  rowsFromRecords,
  SCIM_ENTERPRISE,
  SCIM_PATCH_OP,
  ScimError,
} from '../src/index.ts'

const changes = (moved: number, removed: number) => ({
  added: [],
  removed: Array.from({ length: removed }, (_, i) => ({
    personId: `r${i}`,
    name: '',
    title: '',
    managerId: null,
  })),
  moved: Array.from({ length: moved }, (_, i) => ({ personId: `m${i}`, name: '', from: null, to: null })),
  retitled: [],
})

describe('the suspicious-diff guard', () => {
  it('holds past either share, at the configured shares', () => {
    // 10 in force: 2 moved is 20 %, not more than 20 %
    expect(guardReasons(10, changes(2, 0), { maxManagerChanges: 0.2, maxRemoved: 0.2 })).toEqual([])
    expect(guardReasons(10, changes(3, 3), { maxManagerChanges: 0.2, maxRemoved: 0.2 })).toEqual([
      '3 of 10 people (30 %) changed managers, more than hr.guard.maxManagerChanges 20 %',
      '3 of 10 people (30 %) are gone, more than hr.guard.maxRemoved 20 %',
    ])
    expect(guardReasons(10, changes(3, 3), { maxManagerChanges: 0.5, maxRemoved: 0.25 })).toEqual([
      '3 of 10 people (30 %) are gone, more than hr.guard.maxRemoved 25 %',
    ])
    // nobody in force: a first org is never held
    expect(guardReasons(0, changes(0, 0), { maxManagerChanges: 0, maxRemoved: 0 })).toEqual([])
  })
})

describe('SCIM resources', () => {
  const user = normalizeUser(
    {
      userName: 'Ana@X.com',
      emails: [{ value: 'ana@x.com', type: 'work' }],
      externalId: 'ext-1',
      active: 'True',
    },
    'id-1',
  )

  it('filters as Okta and Entra send them, attributes case-insensitively', () => {
    expect(user.active).toBe(true)
    expect(matches(user, parseFilter('userName eq "ana@x.com"'))).toBe(true)
    expect(matches(user, parseFilter('USERNAME eq "ANA@x.com"'))).toBe(true)
    expect(matches(user, parseFilter('emails[type eq "work"].value eq "ana@x.com"'))).toBe(true)
    expect(matches(user, parseFilter('externalId eq "EXT-1"'))).toBe(false)
    expect(() => parseFilter('userName sw "a"')).toThrow(ScimError)
  })

  it('applies a path-less PatchOp whose keys are attribute paths (Entra)', () => {
    const next = applyPatch(user, {
      schemas: [SCIM_PATCH_OP],
      Operations: [
        {
          op: 'Add',
          value: { displayName: 'Ana A', [`${SCIM_ENTERPRISE}:department`]: 'Ops', 'name.givenName': 'Ana' },
        },
      ],
    })
    expect(next[SCIM_ENTERPRISE]).toEqual({ department: 'Ops' })
    expect(next.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', SCIM_ENTERPRISE])
    expect(next.displayName).toBe('Ana A')
    expect(next.name).toEqual({ givenName: 'Ana' })
    // Okta's password push: accepted, never kept
    const withPassword = applyPatch(user, {
      schemas: [SCIM_PATCH_OP],
      Operations: [{ op: 'replace', value: { password: 'hunter2' } }],
    })
    expect(Object.keys(withPassword)).not.toContain('password')
    expect(() =>
      applyPatch(user, { schemas: [SCIM_PATCH_OP], Operations: [{ op: 'replace', path: 'id', value: 'x' }] }),
    ).toThrow('id is read-only')
  })
})

describe('rows from an HR source', () => {
  const rec = (id: string, manager: string | null, active = true) => ({
    sourceId: id,
    email: `${id}@x.com`,
    name: id,
    managerId: manager,
    active,
  })

  it('keeps a person whose manager is gone without one, and then two top people is the usual error', () => {
    expect(() =>
      rowsFromRecords([rec('ceo', null), rec('em', 'ceo', false), rec('ic', 'em')], 'hr:scim'),
    ).toThrow(OrgValidationError)
    const ok = rowsFromRecords(
      [rec('ceo', null), rec('em', 'ceo'), rec('ic', 'em'), rec('ic2', 'gone')],
      'hr:scim',
    )
    expect(ok.warnings).toEqual([
      '1 with a manager who is not an active person here, kept without one: ic2@x.com',
      '1 with neither a manager nor reports left out: ic2@x.com',
    ])
    expect(ok.rows.map((r) => [r.email, r.manager_email])).toEqual([
      ['ceo@x.com', undefined],
      ['em@x.com', 'ceo@x.com'],
      ['ic@x.com', 'em@x.com'],
    ])
  })
})
