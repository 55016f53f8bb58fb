import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * The embedded engine allows one process per data directory. `orgpulse start` holds this lock;
 * other commands that find it alive send their work to that instance's API instead.
 */
export interface DataDirLock {
  pid: number
  url: string
  /** bearer secret for the local command endpoint; the file is readable by its owner only */
  secret: string
  startedAt: string
}

export const lockFile = (dataDir: string): string => join(resolve(dataDir), 'orgpulse.lock')

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function readLiveLock(dataDir: string): DataDirLock | null {
  const file = lockFile(dataDir)
  if (!existsSync(file)) return null
  try {
    const lock = JSON.parse(readFileSync(file, 'utf8')) as DataDirLock
    if (lock.pid !== process.pid && alive(lock.pid)) return lock
  } catch {
    // unreadable lock: treat as stale
  }
  return null
}

export function acquireLock(
  dataDir: string,
  url: string,
  secret: string = randomBytes(24).toString('hex'),
): DataDirLock {
  const existing = readLiveLock(dataDir)
  if (existing)
    throw new Error(`${resolve(dataDir)} is in use by orgpulse (pid ${existing.pid}, ${existing.url})`)
  mkdirSync(resolve(dataDir), { recursive: true })
  const lock: DataDirLock = { pid: process.pid, url, secret, startedAt: new Date().toISOString() }
  writeFileSync(lockFile(dataDir), JSON.stringify(lock), { mode: 0o600 })
  return lock
}

export function releaseLock(dataDir: string): void {
  const file = lockFile(dataDir)
  try {
    const lock = JSON.parse(readFileSync(file, 'utf8')) as DataDirLock
    if (lock.pid === process.pid) rmSync(file)
  } catch {
    // already gone
  }
}
