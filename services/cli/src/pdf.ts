import { existsSync } from 'node:fs'
import { OrgpulseError } from '@orgpulse/contracts'

/**
 * Prints a self-contained HTML page (the quarterly review) to PDF with a local Chromium through
 * playwright-core: A4, backgrounds kept (status colours, the partial-quarter banner), the page's
 * own print CSS deciding the page breaks. playwright-core is imported here only, so the api (and
 * packages/review) never depends on a browser driver.
 */
export async function reviewPdf(html: string, opts: { chromiumPath: string }): Promise<Buffer> {
  if (!existsSync(opts.chromiumPath))
    throw new OrgpulseError(
      'config',
      `a PDF needs Chromium, not found at ${opts.chromiumPath}: install it (apt-get install chromium) or set CHROMIUM_PATH; --format html gives the same report as one HTML file`,
    )
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({
    executablePath: opts.chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  })
  try {
    const page = await browser.newPage()
    // the report loads nothing: any request is refused, so printing never waits on the network
    await page.route('**/*', (route) => route.abort())
    await page.setContent(html, { waitUntil: 'load' })
    return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true })
  } finally {
    await browser.close()
  }
}
