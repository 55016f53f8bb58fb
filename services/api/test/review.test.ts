import type { ClickHouseClient } from '@orgpulse/clickhouse'
import { buildReview, type ReviewReport, reviewReportSchema } from '@orgpulse/review'
import ExcelJS from 'exceljs'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import yauzl from 'yauzl'
import { createToken } from '../src/auth/tokens.ts'
import { loadFixtureActivity } from './fixture.ts'
import { app, bearer, config, freshClickHouse, importFixtureOrg } from './helpers.ts'

let client: ClickHouseClient
let api: FastifyInstance
let direct: ReviewReport
const tokens = { dir: '', dir2: '' }

beforeAll(async () => {
  const ch = await freshClickHouse()
  client = ch.client
  await importFixtureOrg(client, ch.dir)
  await loadFixtureActivity(client)
  api = await app(client)
  tokens.dir = (await createToken(client, { scope: 'org', org: 'dir@x.io' })).token
  tokens.dir2 = (await createToken(client, { scope: 'org', org: 'dir2@x.io' })).token
  direct = await buildReview(client, config, { director: 'dir@x.io', quarter: '2026-Q3' })
})

afterAll(async () => {
  await api?.close()
  await client?.close()
})

const get = (url: string, token = tokens.dir) => api.inject({ method: 'GET', url, headers: bearer(token) })
const withoutClock = (r: ReviewReport) => ({ ...r, generatedAt: '' })

function zipNames(buf: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: false }, (err, zip) => {
      if (err || !zip) return reject(err)
      const names: string[] = []
      zip.on('entry', (e: yauzl.Entry) => names.push(e.fileName))
      zip.on('end', () => resolve(names))
      zip.on('error', reject)
    })
  })
}

describe('GET /v1/orgs/{director}/review', () => {
  it('answers the ReviewReport buildReview computes, as JSON', async () => {
    const res = await get('/v1/orgs/dir@x.io/review?quarter=2026-Q3')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const body = reviewReportSchema.parse(res.json())
    expect(withoutClock(body)).toEqual(withoutClock(direct))
    expect(body.org).toBe('dir@x.io')
    expect(body.base.quarter).toBe('2026-Q2')
    expect(body.sections.map((s) => s.key)).toEqual(direct.sections.map((s) => s.key))
  })

  it('answers the self-contained HTML with format=html', async () => {
    const res = await get('/v1/orgs/dir@x.io/review?quarter=2026-Q3&format=html')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body.startsWith('<!doctype html>')).toBe(true)
    for (const s of direct.sections) expect(res.body).toContain(`data-section="${s.key}"`)
    expect(res.body).not.toMatch(/<script/i)
  })

  it("refuses another org's token (404) and a malformed quarter (400)", async () => {
    expect((await get('/v1/orgs/dir@x.io/review?quarter=2026-Q3', tokens.dir2)).statusCode).toBe(404)
    expect((await get('/v1/orgs/dir@x.io/review?quarter=2026-13')).statusCode).toBe(400)
    expect((await get('/v1/orgs/nobody@x.io/review?quarter=2026-Q3')).statusCode).toBe(404)
  })
})

describe('the pages', () => {
  it('the org page links to the quarterly review, which renders the review HTML', async () => {
    const org = await get('/orgs/dir@x.io?range=2026-Q3')
    expect(org.statusCode).toBe(200)
    expect(org.body).toContain(
      '<a class="review-link" href="/orgs/dir%40x.io/review?quarter=2026-Q3">Quarterly review (2026-Q3)</a>',
    )
    const page = await get('/orgs/dir%40x.io/review?quarter=2026-Q3')
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.body).toContain(
      `<h1>Quarterly review: ${direct.orgName.replace(/'/g, '&#39;')}, 2026-Q3</h1>`,
    )
    for (const s of direct.sections) expect(page.body).toContain(`data-section="${s.key}"`)
    expect((await get('/orgs/dir%40x.io/review?quarter=2026-Q3', tokens.dir2)).statusCode).toBe(404)
    expect((await get('/orgs/dir%40x.io/review?quarter=Q9')).statusCode).toBe(400)
  })
})

describe('GET /v1/orgs/{director}/exports/quarterly?format=review-zip|xlsx', () => {
  const tables = () => direct.sections.flatMap((s) => s.tables.map((t) => `${s.key}.${t.key}`))

  it('review-zip: README, coverage and one CSV per review table', async () => {
    const res = await get('/v1/orgs/dir@x.io/exports/quarterly?quarter=2026-Q3&format=review-zip')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/zip')
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="orgpulse-review-dir-x-io-2026-Q3.zip"',
    )
    expect(await zipNames(res.rawPayload)).toEqual([
      'README.txt',
      'coverage.csv',
      ...tables().map((t) => `${t}.csv`),
    ])
  })

  it('xlsx: one worksheet per review table', async () => {
    const res = await get('/v1/orgs/dir@x.io/exports/quarterly?quarter=2026-Q3&format=xlsx')
    expect(res.statusCode).toBe(200)
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer)
    expect(wb.worksheets.map((w) => w.name)).toEqual([
      'README',
      'coverage',
      ...tables().map((t) => t.slice(0, 31)),
    ])
  })
})
