import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { addProfile, deviceLogin, runCli, sandbox } from './harness.js'

let server: AuthServer
before(async () => {
  // 2-second access tokens: expired by the time the processes start, without touching any clock.
  server = await startAuthServer({ deviceInterval: 1, ttl: { accessToken: 2 } })
})
after(() => server?.close())

test('32 concurrent `token` processes on an expired token: one refresh reaches the server, all print the same valid token', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u))).code, 0)
  const before = await sb.readRecord('test')
  await sleep(2200)
  assert.equal(
    (await server.userinfo(before.access_token as string)).status,
    401,
    'the stored token has expired',
  )
  server.resetCounts()

  const results = await Promise.all(
    Array.from({ length: 32 }, () => runCli(['token', '--profile', 'test'], sb.env)),
  )
  for (const r of results) assert.equal(r.code, 0, r.stderr)
  const tokens = new Set(results.map((r) => r.stdout))
  assert.equal(tokens.size, 1, 'every process printed the same token')
  assert.equal(server.counts.refresh_token, 1, 'exactly one refresh grant reached the server')
  assert.deepEqual(server.failures, {})
  const [token] = [...tokens]
  assert.notEqual(token?.trim(), before.access_token)
  assert.equal((await server.userinfo(token?.trim() as string)).status, 200)
  assert.equal((await sb.readRecord('test')).access_token, token?.trim())
})
