import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The embedded engine (clickhouse-local in the process) reads a non-terminal standard input as
 * more INSERT data. A command run from a pipe or a `while read` loop must neither fail on what
 * is in stdin nor swallow it: it leaves stdin alone.
 */
const ROOT = join(import.meta.dirname, '..', '..')
const work = mkdtempSync(join(tmpdir(), 'orgpulse-stdin-'))
const dataDir = join(work, 'data')

const SHELL_ENV = {
  ...process.env,
  KAFKA_BROKERS: '',
  CLICKHOUSE_URL: '',
  ORGPULSE_CONFIG: '',
  ORGPULSE: `${join(ROOT, 'node_modules/.bin/tsx')} ${join(ROOT, 'services/cli/src/main.ts')} --data-dir ${dataDir}`,
}

/** a shell script with `$ORGPULSE` as the command, its stdin fed from `input` through a pipe */
function sh(script: string, input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { cwd: work, env: SHELL_ENV, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
    child.stdin.end(input)
  })
}

writeFileSync(
  join(work, 'org.csv'),
  'email,name,manager_email,title\ndir@x.io,Dana,,Director\nm1@x.io,Mia,dir@x.io,EM\na1@x.io,Ann,m1@x.io,Engineer\n',
)
writeFileSync(
  join(work, 'log.jsonl'),
  `${JSON.stringify({ id: 'D1', title: 'a', raisedBy: 'a1@x.io', raisedAt: '2026-07-01T00:00:00Z', status: 'proposed' })}\n`,
)

describe('a command whose standard input is a pipe with data', () => {
  it('org import succeeds and leaves the pipe unread', async () => {
    // `echo x | orgpulse org import f.csv` failed: "Cannot parse input: expected '{' before: 'x'"
    const r = await sh(
      '$ORGPULSE org import org.csv --effective 2026-01-01 --format json && cat',
      'x\n{"a":1}\n',
    )
    expect(r.stderr).not.toMatch(/Cannot parse input|parsed from stdin/)
    expect(r.code).toBe(0)
    // what the command did not read is still there for the next reader (`cat`)
    expect(r.stdout.endsWith('x\n{"a":1}\n')).toBe(true)
    expect(JSON.parse(r.stdout.slice(0, -'x\n{"a":1}\n'.length))).toMatchObject({
      effective: '2026-01-01',
      people: 3,
    })
  })

  it('a `while read` loop gets every line, and every command in it inserts what it should', async () => {
    const r = await sh(
      'while read f; do $ORGPULSE ingest decisions "$f" --format json > "out-$f.json" || exit 9; echo "done $f"; done',
      'log.jsonl\nlog.jsonl\n',
    )
    expect(r.stderr).not.toMatch(/Cannot parse input|parsed from stdin/)
    expect(r.code).toBe(0)
    // the first command did not swallow the loop's second line
    expect(r.stdout.trim().split('\n')).toEqual(['done log.jsonl', 'done log.jsonl'])
    const d = await sh('$ORGPULSE dlq list --all', 'not a record\n')
    expect(d.code).toBe(0)
    expect(d.stdout).not.toMatch(/not a record/)
  })
})
