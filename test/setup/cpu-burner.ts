import { type ChildProcess, spawn } from 'node:child_process'

/**
 * Keeps the machine busy for fault tests that must hold on a loaded box: one process spinning
 * in a loop, so by construction it takes at most one core. stop() it in a finally/afterAll; it
 * also dies with the test process (it is killed on exit, and it is never detached).
 */
export function startCpuBurner(): { stop(): void } {
  const child: ChildProcess = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
  const kill = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', kill)
  return {
    stop: () => {
      process.removeListener('exit', kill)
      kill()
    },
  }
}
