import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')
const BASE = 'packages/contracts/src/errors.ts'
const BUILTIN_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'AggregateError'])
/**
 * The fake vendor servers' errors are the vendors' answers (a 400 for bad JQL), never orgpulse's:
 * they stay plain so the fakes depend on nothing of the product.
 */
const EXEMPT = /^packages\/fakes\//

interface ClassDecl {
  name: string
  parent: string
  file: string
}

/** every `class X extends Y` in the product code (tests excluded), as git tracks it */
function productClasses(): ClassDecl[] {
  const files = execFileSync('git', ['ls-files', '--', 'packages', 'services', 'dashboards'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !/(^|\/)test\//.test(f))
  const found: ClassDecl[] = []
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8')
    for (const m of text.matchAll(/\bclass\s+(\w+)\s+extends\s+([\w.]+)/g))
      found.push({ name: m[1]!, parent: m[2]!, file })
  }
  return found
}

describe('one error model', () => {
  const classes = productClasses()
  const byName = new Map(classes.map((c) => [c.name, c]))

  /** the chain of parents up to the first class not declared in the product code */
  const ancestry = (c: ClassDecl): string[] => {
    const chain = [c.name]
    let parent = c.parent
    while (!chain.includes(parent)) {
      chain.push(parent)
      const next = byName.get(parent)
      if (!next) break
      parent = next.parent
    }
    return chain
  }

  it('has its base, OrgpulseError, as the only class extending Error directly', () => {
    const direct = classes.filter((c) => BUILTIN_ERRORS.has(c.parent) && !EXEMPT.test(c.file))
    expect(direct.map((c) => `${c.file}: ${c.name} extends ${c.parent}`)).toEqual([
      `${BASE}: OrgpulseError extends Error`,
    ])
  })

  it('makes every product error class an OrgpulseError', () => {
    const errors = classes.filter((c) => !EXEMPT.test(c.file) && c.file !== BASE)
    const outside = errors
      .map((c) => ({ c, chain: ancestry(c) }))
      .filter(({ chain }) => BUILTIN_ERRORS.has(chain.at(-1)!) && !chain.includes('OrgpulseError'))
      .map(({ c, chain }) => `${c.file}: ${chain.join(' → ')}`)
    expect(outside).toEqual([])
    // the scan sees the classes it should: a regex that stopped matching would pass vacuously
    const named = errors.filter((c) => ancestry(c).includes('OrgpulseError')).map((c) => c.name)
    expect(named).toEqual(
      expect.arrayContaining([
        'ConfigError',
        'RejectedRecord',
        'JiraAuthError',
        'UserError',
        'NotFoundError',
      ]),
    )
  })
})
