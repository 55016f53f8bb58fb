import { type DigestConfig, type DigestDelivery, type NamedEnv, OrgpulseError } from '@orgpulse/contracts'
import { createHttpClient, HttpRetryError, type RetryPolicy } from '@orgpulse/http-client'
import nodemailer from 'nodemailer'
import type { Digest } from './build.ts'
import { renderHtml, renderJson, renderSlack, renderText, subjectOf } from './render.ts'

export interface DeliverOptions {
  env: NamedEnv
  /** tests: a shorter backoff, a counting fetch */
  fetch?: typeof fetch
  retry?: RetryPolicy
}

/** "slack ($ORGPULSE_DIGEST_SLACK_ANA)", "email to ana@example.com", "webhook ($X)" */
export function describeDelivery(t: DigestDelivery): string {
  if (t.kind === 'slack') return `slack ($${t.webhookUrlEnv})`
  if (t.kind === 'email') return `email to ${t.to}`
  return `webhook ($${t.urlEnv})`
}

function urlFrom(env: NamedEnv, name: string, what: string): string {
  const url = env.named(name)
  if (!url) throw new OrgpulseError('config', `${what}: the env var ${name} is not set`)
  return url
}

/**
 * POSTs a JSON body through the repo's http client: retried on 408/429/5xx with Retry-After or
 * backoff (Slack answers 429 with Retry-After when rate limited,
 * https://api.slack.com/apis/rate-limits); any other non-2xx is a failure.
 */
async function postJson(url: string, body: unknown, what: string, options: DeliverOptions): Promise<void> {
  const http = createHttpClient({
    baseUrl: url,
    retry: { retryPost: true, maxAttempts: 4, ...options.retry },
    timeoutMs: 30_000,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  })
  try {
    const res = await http.request('POST', '', { json: body })
    if (!res.ok)
      throw new OrgpulseError(
        'upstream',
        `${what} answered ${res.status} ${res.statusText}: ${res.text.slice(0, 200)}`,
      )
  } catch (err) {
    if (err instanceof HttpRetryError)
      throw new OrgpulseError('upstream', `${what}: ${err.message}`, { cause: err })
    throw err
  }
}

/** sends one director's digest to one of their destinations */
export async function deliver(
  digest: Digest,
  target: DigestDelivery,
  config: DigestConfig,
  options: DeliverOptions,
): Promise<void> {
  const what = `digest for ${digest.director}: ${describeDelivery(target)}`
  if (target.kind === 'slack') {
    await postJson(urlFrom(options.env, target.webhookUrlEnv, what), renderSlack(digest), what, options)
    return
  }
  if (target.kind === 'webhook') {
    await postJson(urlFrom(options.env, target.urlEnv, what), renderJson(digest), what, options)
    return
  }
  const smtpUrl = urlFrom(options.env, config.smtp.urlEnv, what)
  const transport = nodemailer.createTransport(smtpUrl)
  try {
    await transport.sendMail({
      from: config.smtp.from,
      to: target.to,
      subject: subjectOf(digest),
      text: renderText(digest),
      html: renderHtml(digest),
    })
  } catch (err) {
    throw new OrgpulseError('upstream', `${what}: the SMTP relay refused: ${(err as Error).message}`, {
      cause: err,
    })
  } finally {
    transport.close()
  }
}
