import { mkdirSync, mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseEnv } from '@orgpulse/contracts'
import { loadDemo } from '@orgpulse/demo'
import { weekStart } from '@orgpulse/metrics'
import { listSnapshots } from '@orgpulse/org'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../services/api/src/app.ts'
import { createToken } from '../../services/api/src/auth/tokens.ts'
import { openRuntime, type Runtime } from '../../services/cli/src/runtime.ts'
import { launchChromium, screenshotPath } from '../setup/chromium.ts'

let rt: Runtime
let app: Awaited<ReturnType<typeof buildApp>>
let browser: Browser
let url: string
let planted: string
let other: string
let reorgs: string[]
const EMPTY_WORDS = /^(no data|too few \(n = \d+\)|withheld|partial coverage)$/

beforeAll(async () => {
  rt = await openRuntime({
    env: parseEnv(process.env),
    dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-pages-')),
  })
  // as `orgpulse start` does: the demo's 26 weeks end on this week's Monday, so the last complete
  // week (the pages' default) is the demo's last
  const { company } = await loadDemo(rt, { people: 120, weeks: 26, seed: 1, end: weekStart(new Date()) })
  planted = company.stories.centralisingDirector
  reorgs = (await listSnapshots(rt.client)).slice(1).map((s) => s.slice(0, 10))
  // auto mode, as `orgpulse start` runs: loopback callers need no token until one exists
  app = await buildApp({ client: rt.client, bus: rt.bus, config: rt.config, auth: 'auto', env: rt.env })
  url = await app.listen({ port: 0, host: '127.0.0.1' })
  browser = await launchChromium()
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await app?.close()
  await rt?.close()
})

/** a page that records errors, 401s and any request leaving the machine */
async function watched(context?: Awaited<ReturnType<Browser['newContext']>>) {
  const page = await (context ?? browser).newPage({ viewport: { width: 1440, height: 1000 } })
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  page.on('request', (r) => {
    if (!r.url().startsWith(url)) problems.push(`external request: ${r.url()}`)
  })
  page.on('response', (r) => {
    if (r.status() === 401) problems.push(`401: ${r.url()}`)
  })
  return { page, problems }
}

async function rendered(page: Page) {
  await page.waitForSelector('body[data-rendered="true"]', { state: 'attached', timeout: 60_000 })
}

interface TileView {
  metric: string
  status: string
  big: string
  value: string
  sum: string | null
  links: { href: string; count: number | null }[]
}
const tiles = (page: Page): Promise<TileView[]> =>
  page.locator('.tile').evaluateAll((els) =>
    els.map((e) => ({
      metric: e.getAttribute('data-metric') ?? '',
      status: e.getAttribute('data-status') ?? '',
      big: e.querySelector('.big')?.textContent?.trim() ?? '',
      value: e.getAttribute('data-value') ?? '',
      sum: e.getAttribute('data-sum'),
      links: [...e.querySelectorAll('a[data-list]')].map((a) => ({
        href: a.getAttribute('href') ?? '',
        count: a.hasAttribute('data-count') ? Number(a.getAttribute('data-count')) : null,
      })),
    })),
  )

/** no empty tile shows a number, no number hides in an empty tile, and no empty tile is green */
function assertHonest(list: TileView[], tilesAtLeast = 15) {
  expect(list.length).toBeGreaterThanOrEqual(tilesAtLeast)
  for (const t of list) {
    expect(t.big, t.metric).not.toBe('')
    if (t.value === '') {
      expect(t.big, `${t.metric} is empty and says why`).toMatch(EMPTY_WORDS)
      expect(t.status, t.metric).toBe('empty')
    } else {
      expect(t.big, `${t.metric} has a value`).not.toMatch(EMPTY_WORDS)
      expect(t.status, t.metric).not.toBe('empty')
    }
  }
}

/** every chart on the page is drawn and shows data: no empty panel */
async function assertCharts(page: Page, atLeast: number) {
  const charts = await page.locator('[data-chart]').evaluateAll((els) =>
    els.map((e) => ({
      key: e.getAttribute('data-chart'),
      rendered: e.getAttribute('data-rendered'),
      points: Number(e.getAttribute('data-points')),
      svg: e.querySelectorAll('svg').length,
    })),
  )
  expect(charts.length).toBeGreaterThanOrEqual(atLeast)
  for (const c of charts) {
    expect(c.rendered, c.key!).toBe('true')
    expect(c.svg, c.key!).toBeGreaterThan(0)
    expect(c.points, `${c.key} shows data`).toBeGreaterThan(0)
  }
}

describe('the built-in pages in headless Chromium, as a director', () => {
  it('the director list shows each org’s status and links to it', async () => {
    const { page, problems } = await watched()
    await page.goto(`${url}/`)
    const links = await page
      .locator('ul.directors li > a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')))
    expect(links).toContain(`/orgs/${encodeURIComponent(planted)}`)
    expect(links.length).toBeGreaterThanOrEqual(5)
    other = decodeURIComponent(links.find((l) => l !== `/orgs/${encodeURIComponent(planted)}`)!.slice(6))
    // the planted director's org is red on centralisation over the last complete week
    const flags = await page
      .locator(`li[data-director="${planted}"] [data-flag]`)
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-flag')))
    expect(flags).toContain('centralization')
    await page.click(`a[href="/orgs/${encodeURIComponent(planted)}"]`)
    await rendered(page)
    expect(page.url()).toBe(`${url}/orgs/${encodeURIComponent(planted)}`)
    expect(problems).toEqual([])
    await page.close()
  })

  it('the org page: last complete week, honest tiles, charts with re-orgs; every count opens exactly its items', async () => {
    const { page, problems } = await watched()
    const org = `${url}/orgs/${encodeURIComponent(planted)}`
    await page.goto(org)
    await rendered(page)
    const end = weekStart(new Date())
    const from = new Date(end.getTime() - 7 * 86_400_000)
    const win = `${from.toISOString().slice(0, 10)} → ${end.toISOString().slice(0, 10)}`
    expect(await page.locator('.tile .win').allTextContents()).toEqual(expect.arrayContaining([win]))
    expect(new Set(await page.locator('.tile .win').allTextContents())).toEqual(new Set([win]))
    const list = await tiles(page)
    assertHonest(list)
    // the planted story, in red, with its sample
    const central = list.find((t) => t.metric === 'centralization')!
    expect(central.status).toBe('critical')
    expect(Number(central.big.replace(' %', ''))).toBeGreaterThan(50)
    expect(central.links[0]!.count).toBeGreaterThan(0)
    // every chart drew points (no empty panel); the org page shows the decision and blocker charts
    await assertCharts(page, 5)
    mkdirSync(resolve(screenshotPath('org-page.png'), '..'), { recursive: true })
    await page.screenshot({ path: screenshotPath('org-page.png'), fullPage: false })
    expect(statSync(screenshotPath('org-page.png')).size).toBeGreaterThan(20_000)
    // follow every count: the linked list holds exactly that many items (the first link is
    // clicked; the rest are followed by their href, which is what a click does, without
    // re-rendering the org page each time)
    let clicked = 0
    for (const t of list) {
      for (const l of t.links) {
        if (l.count === null) continue
        if (clicked === 0) await page.click(`.tile[data-metric="${t.metric}"] a[href="${l.href}"]`)
        else await page.goto(new URL(l.href, url).toString())
        await page.waitForSelector('#count', { state: 'attached' })
        const shown = Number(await page.locator('#count').getAttribute('data-count'))
        const rows = await page.locator('#items tr[data-item]').count()
        expect(shown, `${t.metric} → ${l.href}`).toBe(l.count)
        expect(rows, `${t.metric} → ${l.href}`).toBe(l.count)
        if (t.sum !== null)
          expect(Number(await page.locator('#count').getAttribute('data-sum'))).toBeCloseTo(Number(t.sum), 3)
        clicked++
      }
    }
    expect(clicked).toBeGreaterThanOrEqual(15)
    expect(problems).toEqual([])
    await page.close()
  }, 300_000)

  it('re-orgs are marked on every time chart', async () => {
    const { page, problems } = await watched()
    expect(reorgs.length).toBeGreaterThan(0)
    // the demo's re-org is half-way through its 26 weeks: inside a 26-week chart
    const end = weekStart(new Date())
    const from = new Date(end.getTime() - 26 * 7 * 86_400_000).toISOString().slice(0, 10)
    for (const path of ['', '/load']) {
      await page.goto(
        `${url}/orgs/${encodeURIComponent(planted)}${path}?from=${from}&to=${end.toISOString().slice(0, 10)}`,
      )
      await rendered(page)
      const marks = await page
        .locator('[data-chart]')
        .evaluateAll((els) =>
          els.map((e) => [e.getAttribute('data-chart'), Number(e.getAttribute('data-reorgs'))]),
        )
      expect(marks.length).toBeGreaterThan(0)
      for (const [key, n] of marks) expect(n, String(key)).toBe(reorgs.length)
    }
    expect(problems).toEqual([])
    await page.close()
  }, 120_000)

  it('the decisions page filters, and its screenshot', async () => {
    const { page, problems } = await watched()
    await page.goto(`${url}/orgs/${encodeURIComponent(planted)}/decisions?range=4w&filter=by_leader`)
    const n = Number(await page.locator('#count').getAttribute('data-count'))
    expect(n).toBeGreaterThan(0)
    // every row names the director as the decider
    const deciders = await page.locator('#items tr[data-item] td:nth-child(7)').allTextContents()
    expect(deciders.length).toBe(n)
    for (const d of deciders) expect(d).toContain(planted)
    await page.screenshot({ path: screenshotPath('decisions-page.png'), fullPage: false })
    expect(statSync(screenshotPath('decisions-page.png')).size).toBeGreaterThan(20_000)
    // the demo's open decisions name their expected decider: in the top org they wait on its managers
    await page.goto(
      `${url}/orgs/${encodeURIComponent(other)}/decisions?range=last-week&filter=waiting_on_managers`,
    )
    const waiting = Number(await page.locator('#count').getAttribute('data-count'))
    expect(waiting).toBeGreaterThan(0)
    const expected = await page.locator('#items tr[data-item] td:nth-child(6)').allTextContents()
    expect(expected.length).toBe(waiting)
    for (const e of expected) expect(e).toMatch(/@demo\.orgpulse\.dev/)
    await page.goto(`${url}/orgs/${encodeURIComponent(planted)}/decisions?range=4w&filter=by_leader`)
    for (const f of [
      'open',
      'waiting_on_leader',
      'waiting_on_managers',
      'escalated',
      'reversed',
      'decided',
    ]) {
      await page.click(`.filters a[data-filter="${f}"]`)
      await page.waitForSelector('#count', { state: 'attached' })
      expect(page.url()).toContain(`filter=${f}`)
      // the range is kept
      expect(page.url()).toContain('range=4w')
    }
    expect(problems).toEqual([])
    await page.close()
  }, 120_000)

  it('the dependencies page names the pairs that block each other, and the load page the ritual that stopped', async () => {
    const { page, problems } = await watched()
    await page.goto(`${url}/orgs/${encodeURIComponent(planted)}/dependencies?range=4w`)
    expect(await page.locator('#pairs tr[data-pair]').count()).toBeGreaterThan(0)
    expect(Number(await page.locator('#count').getAttribute('data-count'))).toBeGreaterThan(0)
    await page.goto(`${url}/orgs/${encodeURIComponent(planted)}/load?range=13w`)
    await rendered(page)
    assertHonest(await tiles(page), 6)
    await assertCharts(page, 3)
    expect(await page.locator('#rituals').textContent()).not.toContain('no rituals configured')
    // the demo's stopped ritual is named, with its missed weeks
    const ritual = page.locator('#rituals tr[data-ritual="weekly product-engineering director sync"]')
    expect(Number(await ritual.getAttribute('data-missed'))).toBeGreaterThan(0)
    expect(await ritual.locator('.badge.b-critical').count()).toBe(
      Number(await ritual.getAttribute('data-missed')),
    )
    expect(problems).toEqual([])
    await page.close()
  }, 120_000)

  it('a window before any data: meeting tiles say "no data", never a number or green', async () => {
    const { page, problems } = await watched()
    await page.goto(`${url}/orgs/${encodeURIComponent(planted)}?from=2020-01-06&to=2020-01-13`)
    await rendered(page)
    const list = await tiles(page)
    assertHonest(list)
    for (const id of ['meeting_hours_per_person_week', 'focus_hours_per_person_week', 'ritual_adherence'])
      expect(list.find((t) => t.metric === id)!.big, id).toBe('no data')
    expect(problems).toEqual([])
    await page.close()
  })

  it('the team selector opens a team page; an unknown person is a styled 404 with a way back', async () => {
    const { page, problems } = await watched()
    await page.goto(`${url}/orgs/${encodeURIComponent(planted)}`)
    await rendered(page)
    const team = await page.locator('#team-select option').nth(1).getAttribute('value')
    await page.selectOption('#team-select select', team!)
    await rendered(page)
    expect(page.url()).toContain(`/teams/${encodeURIComponent(team!)}`)
    assertHonest(await tiles(page))
    expect(problems).toEqual([])
    const res = await page.goto(`${url}/orgs/${encodeURIComponent('nobody@example.com')}`)
    expect(res!.status()).toBe(404)
    await page.click('text=Back to the directors')
    expect(page.url()).toBe(`${url}/`)
    await page.close()
  }, 120_000)
})

describe('the pages with tokens', () => {
  let orgToken: string
  let adminToken: string
  beforeAll(async () => {
    // the first token switches auto mode to tokens, as in a shared deployment
    orgToken = (await createToken(rt.client, { scope: 'read', org: planted })).token
    adminToken = (await createToken(rt.client, { scope: 'admin' })).token
  })

  it('without a token a browser is sent to the login page, never a 401', async () => {
    const context = await browser.newContext()
    const { page, problems } = await watched(context)
    await page.goto(`${url}/orgs/${encodeURIComponent(planted)}`)
    expect(new URL(page.url()).pathname).toBe('/login')
    expect(problems).toEqual([])
    await context.close()
  })

  it('an org token opens its own org, its links and lists keep working; another org is refused; / lists only its org', async () => {
    const context = await browser.newContext()
    const { page, problems } = await watched(context)
    await page.goto(`${url}/orgs/${encodeURIComponent(planted)}?access_token=${orgToken}`)
    await rendered(page)
    // the token left the address bar for a session
    expect(page.url()).toBe(`${url}/orgs/${encodeURIComponent(planted)}`)
    assertHonest(await tiles(page))
    const first = (await tiles(page)).find((t) => t.metric === 'decisions_decided')!.links[0]!
    await page.click(`.tile[data-metric="decisions_decided"] a[href="${first.href}"]`)
    expect(Number(await page.locator('#count').getAttribute('data-count'))).toBe(first.count)
    expect(problems).toEqual([])
    const res = await page.goto(`${url}/orgs/${encodeURIComponent(other)}`)
    expect([403, 404]).toContain(res!.status())
    // the refusal itself is the only failed load
    expect(problems.filter((p) => !p.includes('404') && !p.includes('403'))).toEqual([])
    problems.length = 0
    await page.goto(`${url}/`)
    const listed = await page
      .locator('ul.directors li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-director')))
    expect(listed).toContain(planted)
    expect(listed).not.toContain(other)
    expect(problems).toEqual([])
    await context.close()
  }, 120_000)

  it('an admin token sees every org', async () => {
    const context = await browser.newContext()
    const { page, problems } = await watched(context)
    await page.goto(`${url}/?access_token=${adminToken}`)
    const listed = await page
      .locator('ul.directors li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-director')))
    expect(listed).toEqual(expect.arrayContaining([planted, other]))
    await page.goto(`${url}/orgs/${encodeURIComponent(other)}`)
    await rendered(page)
    expect(problems).toEqual([])
    await context.close()
  }, 120_000)
})
