import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { MemoryBus } from '@orgpulse/kafka'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createToken } from '../../services/api/src/auth/tokens.ts'
import { app, freshClickHouse, importFixtureOrg } from '../../services/api/test/helpers.ts'
import { launchChromium } from '../setup/chromium.ts'

/*
 * Issue 18 item 4 in a real browser: what SameSite=Strict, HttpOnly and the redirects do in
 * Chromium, which inject() cannot show. The links come from another site (`localhost` is another
 * site than `127.0.0.1`), as a shared link in mail or chat does: on such a navigation, and on the
 * redirects after it, Chromium withholds SameSite=Strict cookies.
 */

let client: ClickHouseClient
let api: Awaited<ReturnType<typeof app>>
let browser: Browser
let base: string
let elsewhere: Server
let elsewhereBase: string
const tokens = { admin: '', read: '' }
const published: unknown[] = []
const contexts: BrowserContext[] = []

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importFixtureOrg(client, ch.dir)
  tokens.admin = (await createToken(client, { scope: 'admin' })).token
  tokens.read = (await createToken(client, { scope: 'read', org: 'dir@x.io' })).token
  const bus = new MemoryBus()
  const publish = bus.publish.bind(bus)
  bus.publish = async (topic, messages) => {
    published.push(...messages)
    return publish(topic, messages)
  }
  api = await app(client, { bus })
  await api.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`
  // another site: `/link?to=URL` is a page with a link to URL; `/forge` posts a decision to the api
  elsewhere = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    if (url.pathname === '/forge')
      res.end(`<!doctype html><form id="f" method="post" action="${base}/v1/decisions" enctype="text/plain">
        <input name='{"id":"CSRF-B","title":"forged","raisedBy":"a1@x.io","raisedAt":"2026-07-10T09:00:00Z","status":"proposed","x":"' value='"}'>
        </form><script>document.getElementById('f').submit()</script>`)
    else res.end(`<!doctype html><a id="go" href="${url.searchParams.get('to') ?? '/'}">open orgpulse</a>`)
  })
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve))
  elsewhereBase = `http://localhost:${(elsewhere.address() as AddressInfo).port}`
  browser = await launchChromium()
})

afterAll(async () => {
  for (const c of contexts) await c.close()
  await browser?.close()
  await api?.close()
  elsewhere?.close()
  await client?.close()
})

beforeEach(() => {
  published.length = 0
})

/** a fresh browser profile (no cookies), recording the status and URL of every page navigation */
async function fresh(): Promise<{ page: Page; navigations: string[] }> {
  const context = await browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  const navigations: string[] = []
  page.on('response', (r) => {
    if (r.request().isNavigationRequest() && r.url().startsWith(base))
      navigations.push(`${r.status()} ${r.url().slice(base.length)}`)
  })
  return { page, navigations }
}

/** clicks a link to `to` on another site's page and waits until the navigations settle */
async function clickFromElsewhere(page: Page, to: string): Promise<void> {
  await page.goto(`${elsewhereBase}/link?to=${encodeURIComponent(to)}`)
  await page.click('#go')
  await page.waitForLoadState('networkidle')
}

const isLogin = async (page: Page) => (await page.locator('form[action="/login"]').count()) > 0
const redactedUrl = (page: Page) => page.url().slice(base.length)

describe('sessions in Chromium', () => {
  it('a shared ?access_token= link clicked on another site opens the page; the token leaves the address bar', async () => {
    const { page, navigations } = await fresh()
    await clickFromElsewhere(page, `${base}/?access_token=${tokens.admin}`)
    // 303 without the token; the cookie is withheld on that redirect (cross-site chain), so a
    // same-origin reload fetches the page with it
    expect(navigations).toEqual([`303 /?access_token=${tokens.admin}`, '200 /', '200 /'])
    expect(redactedUrl(page)).toBe('/')
    expect(await isLogin(page)).toBe(false)
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0)
    // HttpOnly: the page's scripts cannot read the session
    expect(
      await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie),
    ).toBe('')
    const [cookie] = await page.context().cookies(base)
    expect(cookie).toMatchObject({ name: 'orgpulse_session', httpOnly: true, sameSite: 'Strict', path: '/' })
    // the history holds no URL with the token
    expect(
      await page.evaluate(() => (globalThis as unknown as { location: { href: string } }).location.href),
    ).not.toContain('access_token')
  })

  it('a signed-in director clicking a plain link on another site gets the page, not the login form', async () => {
    const { page, navigations } = await fresh()
    await clickFromElsewhere(page, `${base}/?access_token=${tokens.admin}`)
    navigations.length = 0
    await clickFromElsewhere(page, `${base}/`)
    expect(navigations).toEqual(['200 /', '200 /'])
    expect(await isLogin(page)).toBe(false)
  })

  it('without a session, a link from another site ends on the login form with next', async () => {
    const { page, navigations } = await fresh()
    await clickFromElsewhere(page, `${base}/`)
    expect(navigations).toEqual(['200 /', '303 /', '200 /login?next=%2F'])
    expect(await isLogin(page)).toBe(true)
  })

  it('signing in through the form returns to next; the page’s own requests read with the cookie and cannot write', async () => {
    const { page } = await fresh()
    await page.goto(`${base}/v1/orgs/dir@x.io`)
    // an API URL in the address bar is the JSON api: 401, no redirect
    expect(await page.locator('body').textContent()).toContain('missing bearer token')
    await page.goto(`${base}/`)
    expect(redactedUrl(page)).toBe('/login?next=%2F')
    await page.fill('input[name="token"]', 'opt_wrong')
    await page.click('button[type="submit"]')
    await page.waitForLoadState('load')
    expect(await page.locator('.error').textContent()).toContain('not a valid orgpulse token')
    await page.fill('input[name="token"]', tokens.admin)
    await page.click('button[type="submit"]')
    await page.waitForLoadState('networkidle')
    expect(redactedUrl(page)).toBe('/')
    expect(await isLogin(page)).toBe(false)
    const calls = await page.evaluate(async () => {
      const read = await fetch('/v1/orgs')
      const write = await fetch('/v1/decisions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: 'CSRF-A',
          title: 'from the page',
          raisedBy: 'a1@x.io',
          raisedAt: '2026-07-10T09:00:00Z',
          status: 'proposed',
        }),
      })
      return {
        read: read.status,
        orgs: ((await read.json()) as { orgs: unknown[] }).orgs.length,
        write: write.status,
      }
    })
    expect(calls).toEqual({ read: 200, orgs: 3, write: 401 })
    expect(published).toEqual([])
  })

  it('a read token’s session reads its own org only', async () => {
    const { page } = await fresh()
    await clickFromElsewhere(page, `${base}/login?next=%2F`)
    await page.fill('input[name="token"]', tokens.read)
    await page.click('button[type="submit"]')
    await page.waitForLoadState('networkidle')
    const statuses = await page.evaluate(async () => ({
      own: (await fetch('/v1/orgs/dir@x.io')).status,
      other: (await fetch('/v1/orgs/dir2@x.io')).status,
    }))
    expect(statuses).toEqual({ own: 200, other: 404 })
  })

  it('a form another site posts to the api while signed in writes nothing (CSRF)', async () => {
    const { page } = await fresh()
    await clickFromElsewhere(page, `${base}/?access_token=${tokens.admin}`)
    const answer = page.waitForResponse((r) => r.url() === `${base}/v1/decisions`)
    await page.goto(`${elsewhereBase}/forge`)
    expect((await answer).status()).toBe(401)
    expect(published).toEqual([])
  })

  it('signing out ends the session: the next visit asks to sign in', async () => {
    const { page } = await fresh()
    await clickFromElsewhere(page, `${base}/?access_token=${tokens.admin}`)
    expect(await isLogin(page)).toBe(false)
    await page.evaluate(async () => {
      await fetch('/logout', { method: 'POST' })
    })
    await page.goto(`${base}/`)
    expect(redactedUrl(page)).toBe('/login?next=%2F')
  })
})
