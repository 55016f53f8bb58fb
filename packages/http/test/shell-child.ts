/** A process run by process.test.ts through the shell: argv[2] picks how its parts behave. */
import { runProcess } from '../src/process.ts'

const mode = process.argv[2]
const said = (line: string) => process.stdout.write(`${line}\n`)
const never = () => new Promise<void>(() => {})

runProcess(
  'child',
  async () => {
    if (mode === 'fail-start') throw new Error('boom')
    const parts = [
      { name: 'first', stop: async () => said('stopped first') },
      { name: 'second', stop: mode === 'clean' ? async () => said('stopped second') : never },
    ]
    // the parent sends its signals once it reads this
    setTimeout(() => said('ready'), 0)
    return parts
  },
  { timeoutMs: mode === 'timeout' ? 300 : 10_000 },
)
// keeps the event loop alive as a server would
setInterval(() => {}, 1000)
