import assert from 'node:assert/strict'
import { mkdir, rm, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import {
  addProfile,
  assertNoSecrets,
  deviceLogin,
  type Result,
  runCli,
  sandbox,
  secretsOf,
} from './harness.js'

let server: AuthServer
before(async () => {
  server = await startAuthServer({ deviceInterval: 1 })
})
after(() => server?.close())

test('no token value appears in status, --json, refresh, errors or debug output', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  const outputs: Result[] = [await deviceLogin(sb.env, (u) => approveWithHttp(u))]
  const secrets = new Set(await secretsOf(sb))
  const run = async (args: string[], env = sb.env) => {
    const r = await runCli(args, env)
    outputs.push(r)
    for (const s of await secretsOf(sb).catch(() => [])) secrets.add(s)
    return r
  }
  await run(['status'])
  await run(['status', '--json'])
  await run(['refresh', '--force'])
  await run(['refresh'])
  await run(['profile', 'show', 'test'])
  await run(['status', '--json'], { ...sb.env, AUTHKEEP_DEBUG: '1' })

  // Lock held by someone else for longer than we wait: exit 5, a clear line.
  const lock = join(sb.env.AUTHKEEP_HOME as string, 'state', 'credentials', 'test.lock')
  await mkdir(lock)
  const held = setInterval(() => utimes(lock, new Date(), new Date()).catch(() => {}), 500)
  try {
    const busy = await run(['refresh', '--force'], { ...sb.env, AUTHKEEP_LOCK_TIMEOUT: '1' })
    assert.equal(busy.code, 5)
    assert.match(
      busy.stderr,
      /held the lock .*test\.lock for more than 1s; run: authkeep status --profile test\n$/,
    )
  } finally {
    clearInterval(held)
    await rm(lock, { recursive: true })
  }

  server.injectFault({ fault: { kind: 'status', status: 400, body: '{"error":"invalid_client"}' } })
  const refused = await run(['refresh', '--force'])
  server.injectFault(null)
  assert.match(refused.stderr, /invalid_client.*run: authkeep profile show test/)

  await server.revokeGrantOf((await sb.readRecord('test')).refresh_token as string)
  assert.equal((await run(['refresh', '--force'], { ...sb.env, AUTHKEEP_DEBUG: '1' })).code, 4)
  await run(['status'])
  await run(['logout'])

  assert.ok(secrets.size >= 4, 'tokens from several refreshes were collected')
  const printed = outputs.flatMap((r) => [r.stdout, r.stderr])
  assertNoSecrets(printed, [...secrets])
})
