import { basename } from 'node:path'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import type { OrgSnapshot } from '@orgpulse/contracts'
import { isoDay, orgSnapshotSchema, strictDateProblem, TOPICS } from '@orgpulse/contracts'
import type { Bus } from '@orgpulse/kafka'
import { diffPeople } from './changes.ts'
import { deriveOrg, orgStats } from './derive.ts'
import { type Alias, setAliases, writeDirectoryIdentities, writePersonIdentities } from './identities.ts'
import { formatOf, type OrgInputFormat, readOrgFileWithRoot } from './input.ts'
import { nextSnapshot, previousSnapshot, readSnapshot, snapshotExists, writeSnapshot } from './store.ts'
import { formatImportSummary, type ImportSummary } from './summary.ts'
import type { OutsideRoot } from './validate.ts'

export type { ImportSummary } from './summary.ts'

export interface ImportOptions {
  client: ClickHouseClient
  /** when given, the snapshot is also published to `orgpulse.org.v1` keyed by its effective date */
  bus?: Pick<Bus, 'publish'>
  /** an HR CSV export or an org.yaml */
  file: string
  /** overrides detection by file extension */
  format?: OrgInputFormat
  /** the day the org takes effect (a Date's UTC day, or YYYY-MM-DD); default today UTC */
  effective?: Date | string
  /** orgpulse.yaml: `identities.aliases` becomes the complete alias set; omitted → aliases untouched */
  config?: { identities?: { aliases?: readonly Alias[] } }
  /**
   * the file is an export of a subtree (`--roots-outside`): its top person's manager, who is not
   * in the file, is dropped, making them the root (see checkStructure)
   */
  rootsOutside?: boolean
  /** the clock, for tests */
  now?: () => Date
}

/**
 * `orgpulse org import FILE` in full: parse and validate (OrgValidationError lists every
 * problem), derive people/units/closure, store the snapshot (replacing the same effective date),
 * map identities, publish, and summarise what changed since the previous snapshot.
 */
export async function importOrg(options: ImportOptions): Promise<ImportSummary> {
  const { file } = options
  const now = options.now?.() ?? new Date()
  const effective = effectiveDay(options.effective ?? now)
  const inputFormat = options.format ?? formatOf(file)
  const { rows, outsideRoot } = await readOrgFileWithRoot(file, inputFormat, {
    rootsOutside: options.rootsOutside ?? false,
  })
  const org = deriveOrg(rows)
  const snapshot: OrgSnapshot = { effective, importedAt: now.toISOString(), ...org }
  return applySnapshot(options, snapshot, { source: basename(file), inputFormat, outsideRoot })
}

export interface ApplyOptions {
  client: ClickHouseClient
  bus?: Pick<Bus, 'publish'> | undefined
  config?: { identities?: { aliases?: readonly Alias[] } } | undefined
}

export interface ApplyMeta {
  /** names the input in org_snapshots.source and the summary: a file name, or `hr:<source>` */
  source: string
  inputFormat: ImportSummary['inputFormat']
  outsideRoot: OutsideRoot | null
  /** source ids (SCIM ids, Graph user ids) → email, joined to identity_map as origin `directory` */
  directory?: readonly Alias[]
  /**
   * the changes are counted against the snapshot in force before this write (an earlier import of
   * the same date when one is replaced) instead of the latest one before `effective`: what a sync
   * that runs several times a day changed since its last run
   */
  compareWithReplaced?: boolean
  warnings?: readonly string[]
}

/**
 * Everything after the rows are read, shared by `org import` (a file) and `org sync` (an HR
 * source): store the snapshot (replacing the same effective date), map identities, publish, and
 * summarise what changed.
 */
export async function applySnapshot(
  options: ApplyOptions,
  snapshot: OrgSnapshot,
  meta: ApplyMeta,
): Promise<ImportSummary> {
  const { client } = options
  const { effective } = snapshot
  const org = { people: snapshot.people, units: snapshot.units, closure: snapshot.closure }
  const replaced = await snapshotExists(client, effective)
  const previous =
    meta.compareWithReplaced && replaced ? effective : await previousSnapshot(client, effective)
  // a back-dated import: the later snapshot stays in force from its own date on
  const later = await nextSnapshot(client, effective)
  const before = previous ? await readSnapshot(client, previous) : null
  const { source } = meta
  await writeSnapshot(client, snapshot, source)

  const ids = await writePersonIdentities(client, org.people)
  const warnings: string[] = [...(meta.warnings ?? [])]
  let aliases: number | null = null
  let aliasesRemoved: string[] = []
  const configured = options.config?.identities?.aliases
  if (configured) {
    const result = await setAliases(client, configured)
    aliases = result.aliases
    aliasesRemoved = result.removed
    warnings.push(...result.warnings)
  }
  const directory = meta.directory ? (await writeDirectoryIdentities(client, meta.directory)).written : null

  let published: ImportSummary['published'] = null
  if (options.bus) {
    // Validate against the topic contract before it lands on a compacted topic forever.
    const value = Buffer.from(JSON.stringify(orgSnapshotSchema.parse(snapshot)))
    await options.bus.publish(TOPICS.org, [{ key: effective, value }])
    published = { topic: TOPICS.org, key: effective }
  }

  const summary: Omit<ImportSummary, 'format'> = {
    effective,
    source,
    inputFormat: meta.inputFormat,
    replaced,
    previous,
    later,
    outsideRoot: meta.outsideRoot,
    ...orgStats(org),
    changes: before
      ? diffPeople(before.people, org.people)
      : { added: [], removed: [], moved: [], retitled: [] },
    identities: { ...ids, aliases, aliasesRemoved, ...(directory !== null ? { directory } : {}) },
    published,
    warnings,
  }
  return { ...summary, format: () => formatImportSummary(summary) }
}

/** YYYY-MM-DD of a Date's UTC day, or a validated YYYY-MM-DD string. */
export function effectiveDay(value: Date | string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RangeError('effective date is not a valid date')
    return value.toISOString().slice(0, 10)
  }
  const day = isoDay.safeParse(value.trim())
  // the one strict parser's verdict (contracts time.ts): 2026-09-31 names no day
  const problem = strictDateProblem(value.trim())
  if (!day.success || problem !== null) {
    throw new RangeError(`effective date: ${problem ?? `"${value}" is not a day: use YYYY-MM-DD`}`)
  }
  return day.data
}
