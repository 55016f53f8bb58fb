import { existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseEnv } from '@orgpulse/contracts'
import { dashboardSpecs } from '@orgpulse/dashboards'
import { loadDemo } from '@orgpulse/demo'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pagesApp } from '../../services/api/src/pages/index.ts'
import { openRuntime, type Runtime } from '../../services/cli/src/runtime.ts'

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM_PATH overrides */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** the README's screenshot is refreshed only on request, so a test run never dirties the tree */
const SCREENSHOT = process.env.ORGPULSE_UPDATE_SCREENSHOT
  ? resolve(import.meta.dirname, '../../docs/screenshot.png')
  : join(tmpdir(), `orgpulse-screenshot-${process.pid}.png`)

let rt: Runtime
let app: Awaited<ReturnType<typeof pagesApp>>
let browser: Browser
let url: string
let planted: string

beforeAll(async () => {
  // a missing browser is a failure, never a skip: this test is the proof the pages render
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`,
    )
  }
  rt = await openRuntime({
    env: parseEnv(process.env),
    dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-pages-')),
  })
  const { company } = await loadDemo(rt, {
    people: 120,
    weeks: 26,
    seed: 1,
    end: new Date('2026-11-23T00:00:00Z'),
  })
  planted = company.stories.centralisingDirector
  app = await pagesApp({ client: rt.client, config: rt.config })
  url = await app.listen({ port: 0, host: '127.0.0.1' })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
})

afterAll(async () => {
  await browser?.close()
  await app?.close()
  await rt?.close()
})

describe('built-in pages in headless Chromium', () => {
  it('the index lists every director with a link to their org', async () => {
    const page = await browser.newPage()
    await page.goto(`${url}/`)
    const links = await page
      .locator('ul.directors a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')))
    expect(links).toContain(`/orgs/${encodeURIComponent(planted)}`)
    expect(links.length).toBeGreaterThanOrEqual(5)
    await page.close()
  })

  it("the centralising director's page renders every panel with data, and the screenshot is saved", async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    // no request may leave the machine (ECharts is served from node_modules)
    const external: string[] = []
    page.on('request', (r) => {
      if (!r.url().startsWith(url)) external.push(r.url())
    })
    await page.goto(`${url}/orgs/${encodeURIComponent(planted)}`)
    await page
      .waitForSelector('body[data-rendered="true"]', { state: 'attached', timeout: 30_000 })
      .catch(async (e: Error) => {
        throw new Error(
          `${e.message}; page errors: ${errors.join('; ') || 'none'}; page: ${(await page.content()).slice(0, 300)}`,
        )
      })
    expect(errors).toEqual([])
    expect(external).toEqual([])
    const panels = await page.locator('[data-panel]').evaluateAll((els) =>
      els.map((e) => ({
        key: e.getAttribute('data-panel'),
        rendered: e.getAttribute('data-rendered'),
        points: Number(e.getAttribute('data-points')),
        svg: e.querySelectorAll('svg').length,
        kind: e.getAttribute('data-kind'),
      })),
    )
    // every panel of the dashboards model is on the page (a metric about one person has none: the
    // rollups never store it)
    const modelled = dashboardSpecs(rt.config).flatMap((d) => d.panels.map((q) => `${d.key}.${q.key}`))
    expect(modelled.length).toBeGreaterThan(30)
    expect(panels.map((q) => q.key).sort()).toEqual([...modelled].sort())
    for (const p of panels) {
      expect(p.rendered, p.key ?? '').toBe('true')
      if (p.kind !== 'table') expect(p.svg, `${p.key} has a chart`).toBeGreaterThan(0)
      // the demo configures no rituals: adherence is honestly empty
      if (!p.key?.includes('ritual')) expect(p.points, `${p.key} shows data`).toBeGreaterThan(0)
    }
    // the centralisation stat shows the planted story in red (critical: >= 50%)
    const central = page.locator('[data-panel="overview.stat_centralization"] .big')
    expect(Number((await central.textContent())!.replace('%', ''))).toBeGreaterThan(50)
    expect(
      await central.evaluate(
        // runs in the page; the tests compile without the DOM lib
        (e) =>
          (globalThis as unknown as { getComputedStyle(el: unknown): { color: string } }).getComputedStyle(e)
            .color,
      ),
    ).toBe('rgb(212, 74, 58)')
    // "who decides" is headed by the director themself
    expect(
      await page.locator('[data-panel="decisions.who_decides"] tr:nth-child(2) td:first-child').textContent(),
    ).toBe(planted)
    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: false })
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000)
    await page.close()
  })

  it('an unknown director is a 404 page', async () => {
    const res = await fetch(`${url}/orgs/${encodeURIComponent('nobody@example.com')}`)
    expect(res.status).toBe(404)
  })
})
