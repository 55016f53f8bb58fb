import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import {
  configSchema,
  type OrgpulseConfig,
  type OrgpulseConfigInput,
  PORTFOLIO_BUCKETS,
} from '@orgpulse/contracts'
import { stringify } from 'yaml'
import { demoCalendarRules } from './edges/calendar.ts'
import { jiraConfig } from './edges/jira.ts'
import { linearConfig } from './edges/linear.ts'
import type { DemoCompany, DemoOutline } from './generate.ts'

/** The connector sections of orgpulse.yaml that describe the demo company (no URLs, no secrets). */
export type DemoConfigSections = Pick<OrgpulseConfigInput, 'jira' | 'linear' | 'calendar' | 'portfolio'>

/**
 * What a deployment of the demo company would write in orgpulse.yaml: which Jira projects and
 * Linear teams belong to which org team, the calendar domain, and the ritual directors expect
 * ("weekly product-engineering director sync", weekly). The transformer needs the first two to
 * attribute Jira links and Linear cycles to teams; the metrics need the ritual to measure
 * adherence. The same sections serve both edges, so both load the same company.
 */
export function demoConfigSections(company: DemoCompany): DemoConfigSections {
  const jira = jiraConfig(company)
  const linear = linearConfig(company)
  // the review's portfolio view: each team's Jira project and Linear team in one of the essay's
  // buckets, in turn by team key (the demo's trackers are per team, so its bets are too)
  const keys = [...new Set([...(jira?.projects ?? []), ...Object.keys(linear?.teams ?? {})])].sort()
  const bucketOf = (key: string) => PORTFOLIO_BUCKETS[keys.indexOf(key) % PORTFOLIO_BUCKETS.length]!
  const portfolio =
    keys.length > 0
      ? {
          jira: { projects: Object.fromEntries((jira?.projects ?? []).map((k) => [k, bucketOf(k)])) },
          linear: {
            teams: Object.fromEntries(Object.keys(linear?.teams ?? {}).map((k) => [k, bucketOf(k)])),
          },
        }
      : undefined
  return {
    ...(jira ? { jira } : {}),
    ...(linear ? { linear } : {}),
    calendar: demoCalendarRules(company),
    ...(portfolio ? { portfolio } : {}),
  }
}

/**
 * Makes `config` the demo's effective config, in place: the runtime's transformer, metrics and
 * api all hold this one object, so replacing it would leave them reading the old one. The demo's
 * sections replace the same sections of the loaded config (a demo loaded next to a real
 * configuration would otherwise be mapped with the real company's projects and rituals).
 */
export function applyDemoConfig(config: OrgpulseConfig, sections: DemoConfigSections): OrgpulseConfig {
  const parsed = configSchema.parse(sections)
  if (parsed.jira) config.jira = parsed.jira
  else delete config.jira
  if (parsed.linear) config.linear = parsed.linear
  else delete config.linear
  config.calendar = parsed.calendar
  if (parsed.portfolio) config.portfolio = parsed.portfolio
  else delete config.portfolio
  return config
}

/**
 * Writes the sections as an orgpulse.yaml, for processes that did not load the demo themselves
 * (`orgpulse metrics --config <file>`): without it they would not know the ritual is expected.
 */
export function writeDemoConfig(file: string, sections: DemoConfigSections, company: DemoOutline): void {
  mkdirSync(dirname(file), { recursive: true })
  const header = [
    `# The demo company's configuration (orgpulse demo, ${company.start.toISOString().slice(0, 10)} → ${company.end.toISOString().slice(0, 10)}).`,
    '# Written by `orgpulse demo` / `pnpm start`; pass it with --config (or ORGPULSE_CONFIG) so that',
    '# metrics computed in another process expect the demo ritual. The Jira and Linear sections',
    '# hold only the team mapping: the demo ran its connectors against in-process fakes.',
    '',
  ].join('\n')
  writeFileSync(file, header + stringify(sections))
}
