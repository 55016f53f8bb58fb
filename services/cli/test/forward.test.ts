import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { forwardCommand } from '../src/forward.ts'

/*
 * The running instance's `/internal/cli` answers only once the command is done. Here it takes
 * DELAY ms, silent until then; the 5-minute limit fetch would have hit (undici's headersTimeout)
 * is played by a 100 ms idle timeout given to the same client: with it the forward fails, without
 * it (what `orgpulse <command>` uses) the answer arrives.
 */
const DELAY = 400
let server: Server
let url: string
const seen: { auth?: string; body: unknown }[] = []

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let s = ''
    req.on('data', (c) => {
      s += c
    })
    req.on('end', () => resolve(s))
  })

beforeAll(async () => {
  server = createServer(async (req, res) => {
    seen.push({ auth: req.headers.authorization, body: JSON.parse(await read(req)) })
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ exitCode: 3, stdout: 'done\n', stderr: 'took a while\n' }))
    }, DELAY)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => {
  server.closeAllConnections()
  server.close()
})

describe('forwardCommand', () => {
  it('waits for an answer that takes longer than a client timeout would allow', async () => {
    const answer = await forwardCommand(url, 's3cret', { argv: ['export', 'quarterly'], cwd: '/tmp' })
    expect(answer).toEqual({ exitCode: 3, stdout: 'done\n', stderr: 'took a while\n' })
    expect(seen.at(-1)).toEqual({
      auth: 'Bearer s3cret',
      body: { argv: ['export', 'quarterly'], cwd: '/tmp' },
    })
  })

  it('with a timeout shorter than the answer (as fetch had), fails saying the command may still run', async () => {
    await expect(
      forwardCommand(url, 's3cret', { argv: ['metrics'], cwd: '/tmp' }, { idleTimeoutMs: 100 }),
    ).rejects.toThrow(/sent nothing for 100 ms; the command may still be running there/)
  })

  it('reports a refusal with its status', async () => {
    const refusing = createServer((_req, res) => {
      res.writeHead(401)
      res.end('bad token')
    })
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve))
    const at = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`
    await expect(forwardCommand(at, 'x', { argv: [], cwd: '/' })).rejects.toThrow(
      `the running orgpulse at ${at} refused the command: 401 bad token`,
    )
    refusing.close()
  })
})
