/** The process shell with real signals: a child process per case. */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')

interface Ended {
  code: number | null
  stdout: string
  stderr: string
}

function child(mode: string, onReady: (c: ChildProcess) => void = () => {}): Promise<Ended> {
  return new Promise((resolve) => {
    const c = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(import.meta.dirname, 'shell-child.ts'), mode])
    let stdout = ''
    let stderr = ''
    c.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      if (stdout.includes('ready\n') && !stdout.includes('(signalled)')) {
        stdout += '(signalled)\n'
        onReady(c)
      }
    })
    c.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    c.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('runProcess', () => {
  it('stops the parts in reverse start order on SIGTERM and exits 0', async () => {
    const r = await child('clean', (c) => c.kill('SIGTERM'))
    expect(r.code).toBe(0)
    expect(r.stdout.indexOf('stopped second')).toBeGreaterThan(-1)
    expect(r.stdout.indexOf('stopped second')).toBeLessThan(r.stdout.indexOf('stopped first'))
    expect(r.stderr).toContain('child: SIGTERM: stopping')
    expect(r.stderr).toContain('child: stopped cleanly')
  })

  it('a second signal forces exit 1 naming what had not stopped', async () => {
    const r = await child('hang', (c) => {
      c.kill('SIGINT')
      setTimeout(() => c.kill('SIGTERM'), 300)
    })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('second SIGTERM while stopping: forced exit; not stopped: second, first')
  })

  it('a part that does not stop within the timeout forces exit 1', async () => {
    const r = await child('timeout', (c) => c.kill('SIGTERM'))
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('not stopped 300 ms after SIGTERM: forced exit; not stopped: second, first')
  })

  it('a failed start is logged and exits 1', async () => {
    const r = await child('fail-start')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('child: failed to start: boom')
  })
})
