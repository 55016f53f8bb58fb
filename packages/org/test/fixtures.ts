import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A small org used across tests:
 *   ceo (level 3) ── vp (2) ── em1 (1) ── ic1, ic2
 *                 │         └─ em2 (1) ── ic3, ic4
 *                 └─ cfo (0, reports straight to the CEO)
 */
export const ORG_Q1 = [
  'email,name,manager_email,title,employee_id,team',
  'ceo@x.com,Cleo CEO,,CEO,E1,',
  'vp@x.com,Vic VP,ceo@x.com,VP Engineering,E2,Leadership',
  'cfo@x.com,Fay CFO,ceo@x.com,CFO,,Leadership',
  'em1@x.com,Em One,vp@x.com,Engineering Manager,,Engineering',
  'em2@x.com,Em Two,vp@x.com,Engineering Manager,,Engineering',
  'ic1@x.com,Ian One,em1@x.com,Engineer,,Platform',
  'ic2@x.com,Ian Two,em1@x.com,Engineer,,Platform',
  'ic3@x.com,Ian Three,em2@x.com,Engineer,,Mobile',
  'ic4@x.com,Ian Four,em2@x.com,Engineer,,',
].join('\n')

/** The re-org: ic2 moves to em2, ic4 leaves, ic5 joins em1, em1 is promoted. */
export const ORG_Q2 = [
  'email,name,manager_email,title,employee_id,team',
  'ceo@x.com,Cleo CEO,,CEO,E1,',
  'vp@x.com,Vic VP,ceo@x.com,VP Engineering,E2,Leadership',
  'cfo@x.com,Fay CFO,ceo@x.com,CFO,,Leadership',
  'em1@x.com,Em One,vp@x.com,Senior Engineering Manager,,Engineering',
  'em2@x.com,Em Two,vp@x.com,Engineering Manager,,Engineering',
  'ic1@x.com,Ian One,em1@x.com,Engineer,,Platform',
  'ic2@x.com,Ian Two,em2@x.com,Engineer,,Mobile',
  'ic3@x.com,Ian Three,em2@x.com,Engineer,,Mobile',
  'ic5@x.com,Ian Five,em1@x.com,Engineer,,Platform',
].join('\n')

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `orgpulse-${prefix}-`))
}

export function writeTemp(dir: string, name: string, content: string): string {
  const file = join(dir, name)
  writeFileSync(file, content)
  return file
}
