import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type JiraConfig, jiraConfigSchema } from '@orgpulse/contracts'
import type { FakeJiraSeed } from '@orgpulse/fakes/jira'
import { JiraClient } from '../src/client.ts'
import { JiraHttp, type JiraHttpOptions } from '../src/http.ts'

export const tempDir = (name: string): string => mkdtempSync(join(tmpdir(), `orgpulse-${name}-`))

export const USERS = {
  dana: { accountId: 'acc-dana', displayName: 'Dana Director', emailAddress: 'dana@acme.test' },
  erin: { accountId: 'acc-erin', displayName: 'Erin Eng Lead', emailAddress: 'erin@acme.test' },
  ivan: { accountId: 'acc-ivan', displayName: 'Ivan IC', emailAddress: 'ivan@acme.test' },
  olga: { accountId: 'acc-olga', displayName: 'Olga Ops Lead', emailAddress: 'olga@acme.test' },
  // Jira hides this user's email: only the account id is known
  hidden: { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Hidden Person' },
}

const day = (d: number, h = 9) => new Date(Date.UTC(2026, 2, d, h)).toISOString()

/** Two projects, six issues created on distinct days (so `updated` orders them). */
export function seed(overrides: Partial<FakeJiraSeed> = {}): FakeJiraSeed {
  return {
    users: Object.values(USERS),
    projects: [
      { key: 'ENG', name: 'Engineering' },
      { key: 'OPS', name: 'Operations' },
    ],
    issues: [
      { key: 'ENG-1', summary: 'Pick a queue', reporter: 'acc-ivan', created: day(2) },
      { key: 'ENG-2', summary: 'Build the API', reporter: 'acc-ivan', created: day(3) },
      { key: 'ENG-3', type: 'Decision', summary: 'Adopt Kafka?', reporter: 'acc-ivan', created: day(4) },
      { key: 'ENG-4', summary: 'Refactor', reporter: 'acc-erin', created: day(5) },
      { key: 'OPS-1', summary: 'Provision brokers', reporter: 'acc-olga', created: day(2, 12) },
      { key: 'OPS-2', summary: 'Runbook', reporter: 'acc-olga', created: day(6) },
    ],
    ...overrides,
  }
}

export function jiraConfig(overrides: Record<string, unknown> = {}): JiraConfig {
  return jiraConfigSchema.parse({
    projects: ['ENG', 'OPS'],
    teams: [
      { team: 'u:erin@acme.test', projects: ['ENG'] },
      { team: 'u:olga@acme.test', projects: ['OPS'] },
    ],
    ...overrides,
  })
}

export function clientFor(
  url: string,
  overrides: Partial<JiraHttpOptions> = {},
  deployment: 'cloud' | 'datacenter' = 'cloud',
): JiraClient {
  const auth: JiraHttpOptions['auth'] =
    deployment === 'cloud'
      ? {
          kind: 'basic',
          email: 'bot@example.com',
          token: 'api-token',
          describe: 'JIRA_EMAIL + JIRA_API_TOKEN',
        }
      : { kind: 'bearer', token: 'pat-token', describe: 'JIRA_PAT' }
  return new JiraClient(
    new JiraHttp({ baseUrl: url, auth, backoff: { baseMs: 10, maxMs: 50 }, ...overrides }),
    deployment,
  )
}

export { day }
