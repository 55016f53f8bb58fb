import { z } from 'zod'
import { isoDay } from './time.ts'
import { resolveZone } from './time-zones.ts'

/** One row of an HR export (CSV) or one person of org.yaml. */
export const hrRowSchema = z.object({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email({ error: 'email is not a valid address' })),
  name: z.string().trim().min(1, 'name is required'),
  manager_email: z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((v) => (v ? v : undefined)),
  title: z.string().trim().default(''),
  employee_id: z.string().trim().optional(),
  team: z.string().trim().optional(),
  /**
   * The person's time zone for focus time, stored as an IANA name: a Windows name (HR systems on
   * Microsoft stacks export them) is mapped through CLDR. An unknown one is refused here, since
   * the meeting metrics hand the zone to ClickHouse, where one unknown name fails the whole org.
   */
  timezone: z
    .string()
    .trim()
    .optional()
    .transform((tz, ctx) => {
      if (!tz) return undefined
      const iana = resolveZone(tz)
      if (iana) return iana
      ctx.addIssue({
        code: 'custom',
        message: 'timezone is neither an IANA time zone such as Europe/Berlin nor a Windows zone name',
      })
      return z.NEVER
    }),
})
export type HrRow = z.infer<typeof hrRowSchema>

/** A person as derived by the org model for one snapshot. */
export const orgPersonSchema = z.object({
  personId: z.string(),
  email: z.string(),
  name: z.string(),
  title: z.string(),
  managerId: z.string().nullable(),
  employeeId: z.string().nullable(),
  /** IC 0, manager 1, manager of managers 2, above 3+ */
  level: z.number().int().nonnegative(),
  /** the unit the person's activity is attributed to: the unit they lead, else their manager's */
  homeUnit: z.string(),
  timezone: z.string().nullable(),
})
export type OrgPerson = z.infer<typeof orgPersonSchema>

export const orgUnitSchema = z.object({
  unitId: z.string(),
  name: z.string(),
  kind: z.enum(['org', 'group', 'team']),
  managerId: z.string(),
  parentId: z.string().nullable(),
})
export type OrgUnit = z.infer<typeof orgUnitSchema>

export const closureRowSchema = z.object({
  unitId: z.string(),
  ancestorId: z.string(),
  depth: z.number().int(),
})
export type ClosureRow = z.infer<typeof closureRowSchema>

/** The value on the compacted `orgpulse.org.v1` topic, keyed by effective date. */
export const orgSnapshotSchema = z.object({
  effective: isoDay,
  importedAt: z.string(),
  people: z.array(orgPersonSchema),
  units: z.array(orgUnitSchema),
  closure: z.array(closureRowSchema),
})
export type OrgSnapshot = z.infer<typeof orgSnapshotSchema>

export const unitIdFor = (managerEmail: string): string => `u:${managerEmail.toLowerCase()}`
