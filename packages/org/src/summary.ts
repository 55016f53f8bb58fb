import type { OrgChanges } from './changes.ts'
import type { OrgStats } from './derive.ts'
import type { OrgInputFormat } from './input.ts'
import type { OutsideRoot } from './validate.ts'

/** what one `org import` did: the summary's shape is the summary's own, import.ts fills it in */
export interface ImportSummary extends OrgStats {
  effective: string
  source: string
  /** the file's format, or the HR source `org sync` read */
  inputFormat: OrgInputFormat | 'scim' | 'graph' | 'bamboohr'
  /** an earlier import of the same effective date was replaced */
  replaced: boolean
  /** the snapshot the changes are counted against (latest before `effective`), null for the first */
  previous: string | null
  /**
   * the earliest snapshot after `effective` (a back-dated import): this one applies only until
   * that date, from which the later one stays in force
   */
  later: { effective: string; importedAt: string } | null
  /** the top person, when their manager is outside the file (`--roots-outside`) */
  outsideRoot: OutsideRoot | null
  changes: OrgChanges
  identities: {
    emails: number
    employeeIds: number
    aliases: number | null
    aliasesRemoved: string[]
    /** HR source ids (SCIM ids, Graph user ids) newly joined to the identity map (`org sync` only) */
    directory?: number
  }
  /** the topic and key the snapshot went to, when a bus was given */
  published: { topic: string; key: string } | null
  warnings: string[]
  /** a concise human summary for the CLI */
  format(): string
}

/** How many detail lines each kind of change prints before "… and N more". */
const DETAIL_LIMIT = 10

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

/** The CLI's text for an import: headline figures, then what changed, then warnings. */
export function formatImportSummary(s: Omit<ImportSummary, 'format'>): string {
  const out: string[] = []
  out.push(
    `${s.source.startsWith('hr:') ? 'Synced' : 'Imported'} org effective ${s.effective} from ${s.source}${s.replaced ? ` (replaced the earlier import of ${s.effective})` : ''}`,
  )
  out.push(
    `  ${plural(s.people, 'person', 'people')}, ${plural(s.teams, 'team')}, ${plural(s.managers, 'manager')} (${plural(s.directors, 'director')}), max depth ${s.maxDepth}`,
  )
  const id = s.identities
  const aliasText =
    id.aliases === null
      ? ''
      : `, ${plural(id.aliases, 'alias', 'aliases')}${id.aliasesRemoved.length ? ` (${id.aliasesRemoved.length} removed)` : ''}`
  const directoryText = id.directory === undefined ? '' : `, ${plural(id.directory, 'source id')} joined`
  out.push(
    `  identities: ${plural(id.emails, 'email')}, ${plural(id.employeeIds, 'employee id')}${aliasText}${directoryText}`,
  )

  if (s.outsideRoot)
    out.push(
      `  top of the file: ${s.outsideRoot.personId}, whose manager ${s.outsideRoot.managerEmail} is outside it (--roots-outside)`,
    )

  const c = s.changes
  const unchanged = c.added.length + c.removed.length + c.moved.length + c.retitled.length === 0
  const counts = `${c.added.length} added, ${c.removed.length} removed, ${c.moved.length} moved, ${plural(c.retitled.length, 'title change')}`
  if (s.later) {
    // back-dated: say that the later snapshot is untouched and still wins from its own date
    const comparison =
      s.previous === null
        ? 'there is no earlier snapshot'
        : unchanged
          ? `no changes since ${s.previous}`
          : `since ${s.previous}: ${counts}`
    out.push(
      `  effective ${s.effective}; a later snapshot (effective ${s.later.effective}, imported ${s.later.importedAt}) already exists: this one applies from ${s.effective} until ${s.later.effective}; compared with the snapshot before it: ${comparison}`,
    )
  } else if (s.previous === null) {
    out.push('  first snapshot: no earlier org to compare with')
  } else if (unchanged) {
    out.push(`  no changes since ${s.previous}`)
  } else {
    out.push(`  since ${s.previous}: ${counts}`)
  }
  if (s.previous !== null && !unchanged) {
    const section = <T>(items: T[], line: (item: T) => string): void => {
      for (const item of items.slice(0, DETAIL_LIMIT)) out.push(`    ${line(item)}`)
      if (items.length > DETAIL_LIMIT) out.push(`    … and ${items.length - DETAIL_LIMIT} more`)
    }
    const who = (id: string | null): string => id ?? '(no manager)'
    section(
      c.added,
      (p) => `+ ${p.personId} ${p.name}${p.title ? `, ${p.title}` : ''} → reports to ${who(p.managerId)}`,
    )
    section(c.removed, (p) => `- ${p.personId} ${p.name}`)
    section(c.moved, (m) => `~ ${m.personId} moved: ${who(m.from)} → ${who(m.to)}`)
    section(c.retitled, (t) => `~ ${t.personId} title: ${t.from || '(none)'} → ${t.to || '(none)'}`)
  }
  if (s.published) out.push(`  published to ${s.published.topic} (key ${s.published.key})`)
  for (const w of s.warnings) out.push(`  warning: ${w}`)
  return out.join('\n')
}
