import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { parseConfig } from '../src/load-config.ts'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('portfolio: configuration', () => {
  it("the README's Portfolio example parses to the documented mapping", () => {
    const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map(
      (m) => m[1]!,
    )
    const example = blocks.find((b) => b.startsWith('portfolio:'))
    expect(example).toBeDefined()
    expect(parseConfig(parseYaml(example!), 'README').portfolio).toEqual({
      groupBy: 'bucket',
      jira: {
        projects: { ENG: { bucket: 'core' }, LAB: { bucket: 'experimental' } },
        epics: { 'ENG-100': { bucket: 'growth', initiative: 'Self-serve onboarding' } },
        epicLinkField: 'customfield_10014',
      },
      linear: {
        projects: {
          '9b2c1e4a-5d1f-4e0b-a1c3-2f6d8e7a9b10': { bucket: 'strategic_enablers', initiative: 'Platform v2' },
        },
        teams: { GRO: { bucket: 'growth' } },
      },
    })
  })

  it('an unknown key names the closest known one', () => {
    expect(() =>
      parseConfig({ portfolio: { jira: { epic: { 'ENG-1': 'core' } } } }, 'orgpulse.yaml'),
    ).toThrow('unknown key portfolio.jira.epic: did you mean portfolio.jira.epics?')
  })
})
