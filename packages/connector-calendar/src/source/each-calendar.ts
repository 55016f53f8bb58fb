export interface SyncProgress {
  done: number
  total: number
  person: string
  events: number
  elapsedMs: number
  /** calendars per second so far */
  rate: number
  etaMs: number | null
}

export interface PersonSyncResult {
  person: string
  mode: 'full' | 'incremental'
  /** an expired sync token or delta link (410) forced a full sync */
  restartedFull: boolean
  events: number
  pages: number
  error?: string
}

/** The result of a calendar whose sync threw: nothing read, the error kept for the report. */
export const failedSync = (person: string, error: string): PersonSyncResult => ({
  person,
  mode: 'full',
  restartedFull: false,
  events: 0,
  pages: 0,
  error,
})

/**
 * Syncs every calendar, `concurrency` at a time. A calendar whose sync throws becomes a result
 * with its error (`failed`), so one broken mailbox does not stop the org's sync and the report can
 * name it. Progress (with a rate and an ETA) follows each finished calendar, since an org-wide
 * first sync takes hours; the results are sorted by person so a report reads the same whatever
 * order the workers finished in.
 */
export async function syncEachCalendar<R extends PersonSyncResult>(o: {
  people: string[]
  concurrency: number
  syncOne: (person: string) => Promise<R>
  failed: (person: string, error: string) => R
  onProgress?: ((p: SyncProgress) => void) | undefined
}): Promise<R[]> {
  const started = Date.now()
  const results: R[] = []
  let next = 0
  let done = 0
  const total = o.people.length
  const worker = async () => {
    for (;;) {
      const person = o.people[next++]
      if (person === undefined) return
      let result: R
      try {
        result = await o.syncOne(person)
      } catch (err) {
        result = o.failed(person, (err as Error).message)
      }
      results.push(result)
      done++
      const elapsedMs = Date.now() - started
      const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0
      o.onProgress?.({
        done,
        total,
        person,
        events: result.events,
        elapsedMs,
        rate,
        etaMs: rate > 0 ? ((total - done) / rate) * 1000 : null,
      })
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, total)) }, worker))
  return results.sort((a, b) => a.person.localeCompare(b.person))
}
