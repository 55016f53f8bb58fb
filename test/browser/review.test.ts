import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from '@orgpulse/contracts'
import { loadDemo } from '@orgpulse/demo'
import { weekStart } from '@orgpulse/metrics'
import { buildReview, reviewHtml } from '@orgpulse/review'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../services/api/src/app.ts'
import { reviewPdf } from '../../services/cli/src/pdf.ts'
import { openRuntime, type Runtime } from '../../services/cli/src/runtime.ts'
import { CHROMIUM, launchChromium, screenshotPath } from '../setup/chromium.ts'

let rt: Runtime
let app: Awaited<ReturnType<typeof buildApp>>
let browser: Browser
let url: string
let planted: string

beforeAll(async () => {
  rt = await openRuntime({
    env: parseEnv(process.env),
    dataDir: mkdtempSync(join(tmpdir(), 'orgpulse-review-')),
  })
  const { company } = await loadDemo(rt, {
    people: 120,
    // long enough that the base quarter is fully covered: the comparisons are shown, not refused
    weeks: 48,
    seed: 1,
    end: weekStart(new Date()),
    edges: 'direct',
  })
  planted = company.stories.centralisingDirector
  app = await buildApp({ client: rt.client, bus: rt.bus, config: rt.config, auth: 'auto', env: rt.env })
  url = await app.listen({ port: 0, host: '127.0.0.1' })
  browser = await launchChromium()
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await app?.close()
  await rt?.close()
})

const quarter = (d: Date) => `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`
/** the last complete quarter of the demo (it ends this week) */
const lastQuarter = () => {
  const now = new Date()
  return quarter(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 3, 1)))
}

describe("the demo's quarterly review in Chromium", () => {
  it('the org page links to it; it renders every section with no request beyond the page, and its screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } })
    const requests: string[] = []
    const problems: string[] = []
    page.on('pageerror', (e) => problems.push(e.message))
    await page.goto(`${url}/orgs/${encodeURIComponent(planted)}?range=${lastQuarter()}`)
    page.on('request', (r) => requests.push(r.url()))
    await page.click('a.review-link')
    await page.waitForSelector('section[data-section="stability"]')
    expect(page.url()).toBe(`${url}/orgs/${encodeURIComponent(planted)}/review?quarter=${lastQuarter()}`)
    // the review is one file: the only request is the page itself
    expect(requests).toEqual([page.url()])
    expect(problems).toEqual([])
    const sections = await page
      .locator('section[data-section]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-section')))
    expect(sections).toEqual([
      'structure_changes',
      'teams',
      'centralisation',
      'shape',
      'portfolio',
      'stability',
    ])
    expect(await page.locator('.coverage-line').count()).toBe(6)
    await page.screenshot({ path: screenshotPath('review.png'), fullPage: false })
    expect(statSync(screenshotPath('review.png')).size).toBeGreaterThan(20_000)
  })

  it('prints to a PDF through the cli step (reviewPdf)', async () => {
    const report = await buildReview(rt.client, rt.config, { director: planted, quarter: lastQuarter() })
    const pdf = await reviewPdf(reviewHtml(report), { chromiumPath: CHROMIUM })
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    // one page per section at least (print CSS breaks before each)
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length
    expect(pages).toBeGreaterThanOrEqual(report.sections.length)
    await expect(reviewPdf('<p>x</p>', { chromiumPath: '/nonexistent/chromium' })).rejects.toThrow(
      /a PDF needs Chromium, not found at \/nonexistent\/chromium: install it \(apt-get install chromium\) or set CHROMIUM_PATH/,
    )
  })
})
