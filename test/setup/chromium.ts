import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type Browser, chromium } from 'playwright-core'

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM_PATH overrides */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Headless Chromium for the browser tests. A missing browser is a failure, never a skip: these
 * tests are the proof that the pages render and that sessions work in a real browser.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`,
    )
  return chromium.launch({
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
}

/**
 * Where a browser test saves a screenshot: `docs/NAME` (the README's) only when
 * ORGPULSE_UPDATE_SCREENSHOT is set, so a test run never dirties the tree; a temp file otherwise.
 */
export const screenshotPath = (name: string): string =>
  process.env.ORGPULSE_UPDATE_SCREENSHOT
    ? resolve(import.meta.dirname, '../../docs', name)
    : join(tmpdir(), `orgpulse-${process.pid}-${name}`)
