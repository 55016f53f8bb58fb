import type { Digest, DigestDecision } from './build.ts'

/** Slack's limits (https://api.slack.com/reference/block-kit/blocks): 50 blocks a message, 3000 characters a section text */
export const SLACK_MAX_BLOCKS = 50
export const SLACK_MAX_SECTION_TEXT = 3000
/** waiting decisions listed per list; the page behind it has them all */
export const MAX_LISTED = 10

const day = (iso: string) => iso.slice(0, 10)
const lastDay = (iso: string) => new Date(Date.parse(iso) - 86_400_000).toISOString().slice(0, 10)
const age = (d: number) => `${Math.floor(d)} day${Math.floor(d) === 1 ? '' : 's'}`

export const weekLabel = (d: Digest) => `${day(d.week.from)} – ${lastDay(d.week.to)}`

/** one line per part, each with the page behind it: the structure every format renders */
export interface DigestSection {
  title: string
  lines: { text: string; url: string }[]
  /** the page the section as a whole links to */
  url: string
  /** shown when there are no lines */
  empty: string
}

const decisionLine = (x: DigestDecision) => ({
  text: `${x.title || x.id} — waiting ${age(x.ageDays)} (raised ${day(x.raisedAt)} by ${x.raiser || 'unknown'})`,
  url: x.url,
})

function listed(items: DigestDecision[]): { text: string; url: string }[] {
  const lines = items.slice(0, MAX_LISTED).map(decisionLine)
  if (items.length > MAX_LISTED)
    lines.push({ text: `… and ${items.length - MAX_LISTED} more`, url: items[0]!.url })
  return lines
}

export function sections(d: Digest): DigestSection[] {
  return [
    {
      title: 'Last week vs the week before',
      lines: d.figures.map((f) => ({ text: `${f.title}: ${f.text}`, url: f.url })),
      url: d.orgUrl,
      empty: '',
    },
    {
      title: 'Alerts firing',
      lines: d.alerts.map((a) => ({ text: a.text, url: a.url })),
      url: d.orgUrl,
      empty: 'No alert firing.',
    },
    {
      title: `Decisions waiting on you (${d.waitingOnDirector.length}), oldest first`,
      lines: listed(d.waitingOnDirector),
      url: d.waitingUrls.director,
      empty: 'None.',
    },
    {
      title: `Decisions waiting on your managers (${d.waitingOnManagers.length}), oldest first`,
      lines: listed(d.waitingOnManagers),
      url: d.waitingUrls.managers,
      empty: 'None.',
    },
    {
      title: 'Worst team pair',
      lines: d.worstPair
        ? [
            {
              text: `${d.worstPair.blockerName} blocks ${d.worstPair.blockedName}: ${d.worstPair.open} open blocker${d.worstPair.open === 1 ? '' : 's'}, the oldest ${age(d.worstPair.oldestOpenAgeDays)}`,
              url: d.worstPair.url,
            },
          ]
        : [],
      url: d.dependenciesUrl,
      empty: 'No open cross-team blocker at the end of the week.',
    },
    {
      title: 'Rituals missed',
      lines: d.ritualsMissed.map((r) => ({
        text: `${r.name}: not held in ${r.start} – ${lastDay(`${r.end}T00:00:00Z`)}`,
        url: d.loadUrl,
      })),
      url: d.loadUrl,
      empty: d.ritualsNote ?? 'None: every expected ritual was held.',
    },
  ]
}

export const subjectOf = (d: Digest) => `orgpulse weekly digest — ${d.director}'s org, week ${weekLabel(d)}`

/** plain text (the email's text part, `--dry-run`) */
export function renderText(d: Digest): string {
  const out = [subjectOf(d), `${d.people} people · ${d.orgUrl}`, '']
  for (const s of sections(d)) {
    out.push(`${s.title}  <${s.url}>`)
    if (s.lines.length === 0) out.push(`  ${s.empty}`)
    for (const l of s.lines) out.push(`  - ${l.text}  <${l.url}>`)
    out.push('')
  }
  return out.join('\n')
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** a simple HTML part for email clients */
export function renderHtml(d: Digest): string {
  const parts = [
    `<!doctype html><html><body style="font-family:sans-serif">`,
    `<h1 style="font-size:18px">${esc(subjectOf(d))}</h1>`,
    `<p>${d.people} people · <a href="${esc(d.orgUrl)}">the org page</a></p>`,
  ]
  for (const s of sections(d)) {
    parts.push(`<h2 style="font-size:15px"><a href="${esc(s.url)}">${esc(s.title)}</a></h2>`)
    if (s.lines.length === 0) parts.push(`<p>${esc(s.empty)}</p>`)
    else
      parts.push(
        `<ul>${s.lines.map((l) => `<li><a href="${esc(l.url)}">${esc(l.text)}</a></li>`).join('')}</ul>`,
      )
  }
  parts.push('</body></html>')
  return parts.join('\n')
}

/** Slack mrkdwn escaping (https://api.slack.com/reference/surfaces/formatting#escaping) */
const slackEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const link = (url: string, text: string) => `<${url}|${slackEsc(text).replace(/\|/g, '¦')}>`

/** splits lines into section texts of at most `max` characters */
function chunks(lines: string[], max: number): string[] {
  const out: string[] = []
  let cur = ''
  for (const raw of lines) {
    const line = raw.length > max ? `${raw.slice(0, max - 1)}…` : raw
    if (cur && cur.length + 1 + line.length > max) {
      out.push(cur)
      cur = line
    } else cur = cur ? `${cur}\n${line}` : line
  }
  if (cur) out.push(cur)
  return out
}

/**
 * The Slack incoming-webhook payload (https://api.slack.com/messaging/webhooks): `text` as the
 * notification fallback and Block Kit `blocks` — a header, per part a section of mrkdwn lines
 * with `<url|text>` links (each under 3000 characters), context blocks for the week, at most 50
 * blocks.
 */
export function renderSlack(d: Digest): { text: string; blocks: Record<string, unknown>[] } {
  const blocks: Record<string, unknown>[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: `Weekly digest — week ${weekLabel(d)}`.slice(0, 150) },
    },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${link(d.orgUrl, `${d.director}'s org`)} · ${d.people} people` }],
    },
  ]
  for (const s of sections(d)) {
    const lines = [
      `*${link(s.url, s.title)}*`,
      ...(s.lines.length === 0 ? [slackEsc(s.empty)] : s.lines.map((l) => `• ${link(l.url, l.text)}`)),
    ]
    for (const text of chunks(lines, SLACK_MAX_SECTION_TEXT))
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text } })
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `orgpulse · weeks are Monday to Monday, UTC · ${day(d.week.to)}` }],
  })
  if (blocks.length > SLACK_MAX_BLOCKS) {
    const last = blocks.at(-1)!
    blocks.length = SLACK_MAX_BLOCKS - 1
    blocks.push(last)
  }
  return { text: subjectOf(d), blocks }
}

/** the generic webhook's document: the digest itself, with its subject */
export function renderJson(d: Digest): Record<string, unknown> {
  return { type: 'orgpulse.digest.v1', subject: subjectOf(d), ...d }
}
