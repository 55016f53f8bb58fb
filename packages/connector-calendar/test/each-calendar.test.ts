import { describe, expect, it } from 'vitest'
import {
  failedSync,
  type PersonSyncResult,
  type SyncProgress,
  syncEachCalendar,
} from '../src/source/each-calendar.ts'

describe('syncEachCalendar: the worker pool both vendors sync their calendars with', () => {
  it("keeps at most `concurrency` calendars in flight, turns a throw into that calendar's failure, sorts by person", async () => {
    let inFlight = 0
    let most = 0
    const progress: SyncProgress[] = []
    const people = ['e@acme.com', 'b@acme.com', 'd@acme.com', 'a@acme.com', 'c@acme.com']
    const results = await syncEachCalendar<PersonSyncResult>({
      people,
      concurrency: 2,
      syncOne: async (person) => {
        inFlight++
        most = Math.max(most, inFlight)
        await new Promise((resolve) => setTimeout(resolve, 5))
        inFlight--
        if (person === 'd@acme.com') throw new Error('403 accessDenied')
        return { person, mode: 'incremental', restartedFull: false, events: person.length, pages: 1 }
      },
      failed: failedSync,
      onProgress: (p) => progress.push(p),
    })
    expect(most).toBe(2)
    expect(results.map((r) => r.person)).toEqual([
      'a@acme.com',
      'b@acme.com',
      'c@acme.com',
      'd@acme.com',
      'e@acme.com',
    ])
    expect(results[3]).toEqual({
      person: 'd@acme.com',
      mode: 'full',
      restartedFull: false,
      events: 0,
      pages: 0,
      error: '403 accessDenied',
    })
    // 'a@acme.com' is 10 characters: the events the fake reported
    expect(results[0]?.events).toBe(10)
    expect(progress.map((p) => [p.done, p.total])).toEqual([
      [1, 5],
      [2, 5],
      [3, 5],
      [4, 5],
      [5, 5],
    ])
    expect(progress[4]?.etaMs).toBe(0)
  })

  it('runs one worker for an empty list and returns nothing', async () => {
    const results = await syncEachCalendar<PersonSyncResult>({
      people: [],
      concurrency: 4,
      syncOne: () => Promise.reject(new Error('never called')),
      failed: failedSync,
    })
    expect(results).toEqual([])
  })
})
