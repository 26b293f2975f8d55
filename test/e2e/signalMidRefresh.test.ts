import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import {
  addProfile,
  assertNoSecrets,
  type Cli,
  deviceLogin,
  runCli,
  type Sandbox,
  sandbox,
  secretsOf,
  spawnCli,
  waitForStderr,
} from './harness.js'

// Issue 9, item 1: a signal that lands after the server rotated the refresh token and before the answer
// was written must not spend the login. The bed holds the provider's real (rotated) answer back until
// the signal has been seen, then lets it through.

const HELD = /saving the token refresh in flight first/
const CODE = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const
type Sig = keyof typeof CODE

let server: AuthServer
let sb: Sandbox
before(async () => {
  server = await startAuthServer({ deviceInterval: 1 })
  sb = await sandbox()
  await addProfile(server, sb.env)
  assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u))).code, 0)
})
after(async () => {
  server?.injectFault(null)
  await sb?.cleanup()
  await server?.close()
})

/** Makes the stored access token due, so the next command refreshes. */
async function expire(): Promise<Record<string, unknown>> {
  const record = await sb.readRecord('test')
  const due = { ...record, expires_at: '2000-01-01T00:00:00.000Z' }
  await writeFile(sb.recordFile('test'), JSON.stringify(due, null, 2), { mode: 0o600 })
  return due
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !ok(); i++) await sleep(50)
  assert.ok(ok(), `timed out waiting for ${what}`)
}

/**
 * Starts `start()` with the refresh answer held, waits until the server has rotated the token, sends
 * `signals`, and releases the answer once the command said it is finishing first (or once it ended).
 */
async function holdAndSignal(start: () => Cli, signals: Sig[], target?: () => Cli) {
  let release = () => {}
  server.injectFault({ fault: { kind: 'held', release: new Promise<void>((r) => (release = r)) } })
  const rotated = server.counts.refresh_token + 1
  const child = start()
  try {
    await until('the server to rotate the refresh token', () => server.counts.refresh_token >= rotated)
    const signalled = target?.() ?? child
    signalled.kill(signals[0])
    if (signals.length === 1) await waitForStderr(signalled, HELD)
    else {
      await waitForStderr(signalled, HELD)
      signalled.kill(signals[1])
    }
  } finally {
    server.injectFault(null)
    if (signals.length === 1) release()
  }
  return { child, release }
}

async function assertLoginWorks(): Promise<void> {
  const printed = await runCli(['token'], sb.env)
  assert.equal(printed.code, 0, printed.stderr)
  assert.equal((await server.userinfo(printed.stdout.trim())).status, 200, 'the saved access token works')
  const again = await runCli(['refresh', '--force'], sb.env)
  assert.equal(again.code, 0, `the saved refresh token is the live one: ${again.stderr}`)
}

describe('a signal while a refresh is in flight waits for the answer to be saved', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    test(`token, ${signal}: exit ${CODE[signal]}, nothing on stdout, the rotated token saved`, async () => {
      const before = await expire()
      const { child } = await holdAndSignal(() => spawnCli(['token'], sb.env), [signal])
      const r = await child.output
      assert.equal(r.signal, null, `killed by ${r.signal} before the answer was saved`)
      assert.equal(r.code, CODE[signal], r.stderr)
      assert.equal(r.stdout, '', 'an interrupted token prints no token')
      assert.match(r.stderr, new RegExp(`stopped by ${signal}; the refresh in flight ended first`))
      const now = await sb.readRecord('test')
      assert.notEqual(now.refresh_token, before.refresh_token, 'the rotated refresh token was written')
      assertNoSecrets([r.stdout, r.stderr], [...(await secretsOf(sb)), String(before.refresh_token)])
      await assertLoginWorks()
    })
  }

  const oneShots: Array<[string, string[], Sig]> = [
    ['refresh --force', ['refresh', '--force'], 'SIGTERM'],
    ['exec', ['exec', '--', 'true'], 'SIGHUP'],
    ['doctor --online', ['doctor', '--online'], 'SIGINT'],
    ['keepalive run --once', ['keepalive', 'run', '--once'], 'SIGTERM'],
  ]
  for (const [name, args, signal] of oneShots) {
    test(`${name}, ${signal}: exit ${CODE[signal]} after the rotated token was saved`, async () => {
      const before = await expire()
      const { child } = await holdAndSignal(() => spawnCli(args, sb.env), [signal])
      const r = await child.output
      assert.equal(r.signal, null, `killed by ${r.signal} before the answer was saved`)
      assert.equal(r.code, CODE[signal], r.stderr)
      assert.notEqual((await sb.readRecord('test')).refresh_token, before.refresh_token)
      await assertLoginWorks()
    })
  }

  test('keepalive run, SIGTERM during its first pass: the pass saves, then the daemon stops (exit 0)', async () => {
    const before = await expire()
    const { child } = await holdAndSignal(() => spawnCli(['keepalive', 'run'], sb.env), ['SIGTERM'])
    const r = await child.output
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /"event":"stop"|stop/)
    assert.notEqual((await sb.readRecord('test')).refresh_token, before.refresh_token)
    await assertLoginWorks()
  })

  test('agent, SIGTERM while it refreshes for a client: the client gets its token, then the agent stops', async (t) => {
    const before = await expire()
    const agent = spawnCli(['agent', '--socket', join(sb.dir, 'agent', 'agent.sock')], sb.env)
    let client: Cli | undefined
    try {
      const [, socket] = await waitForStderr(agent, /^export AUTHKEEP_AGENT_SOCK=(\S+)$/m)
      const remote = await sandbox(t, { AUTHKEEP_AGENT_SOCK: socket as string })
      await holdAndSignal(
        () => {
          client = spawnCli(['token', '--profile', 'test'], remote.env)
          client.stdin?.end()
          return client
        },
        ['SIGTERM'],
        () => agent,
      )
      const got = await (client as Cli).output
      assert.equal(got.code, 0, got.stderr)
      assert.equal((await server.userinfo(got.stdout.trim())).status, 200)
      const r = await agent.output
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /stopped \(SIGTERM\)/)
    } finally {
      agent.kill('SIGKILL')
    }
    assert.notEqual((await sb.readRecord('test')).refresh_token, before.refresh_token)
    await assertLoginWorks()
  })

  test('a second signal exits at once (130) and says what was kept', async () => {
    const before = await expire()
    const { child, release } = await holdAndSignal(() => spawnCli(['token'], sb.env), ['SIGINT', 'SIGINT'])
    try {
      const r = await child.output
      assert.equal(r.code, 130, r.stderr)
      assert.equal(r.stdout, '')
      assert.match(
        r.stderr,
        /SIGINT again: exiting now; the record of profile "test" is as it was before this refresh; if the server had already replaced its refresh token, run: authkeep login --profile test\n$/,
      )
      assert.equal((await sb.readRecord('test')).refresh_token, before.refresh_token)
    } finally {
      release()
    }
    // The user chose to drop the answer: the server rotated, so only a new login helps.
    const login = await deviceLogin(sb.env, (u) => approveWithHttp(u))
    assert.equal(login.code, 0, login.stderr)
  })
})
