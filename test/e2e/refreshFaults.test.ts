import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { type AuthServer, type Fault, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import {
  addProfile,
  assertNoSecrets,
  deviceLogin,
  runCli,
  type Sandbox,
  sandbox,
  secretsOf,
} from './harness.js'

let server: AuthServer
let sb: Sandbox
before(async () => {
  server = await startAuthServer({ deviceInterval: 1 })
  sb = await sandbox()
  await addProfile(server, sb.env)
  assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u))).code, 0)
})
after(async () => {
  await sb?.cleanup()
  await server?.close()
})

test('a transient 503 with Retry-After is retried after the asked delay, then succeeds', async () => {
  server.injectFault({ fault: { kind: 'status', status: 503, retryAfter: 1 }, times: 1 })
  server.resetCounts()
  const r = await runCli(['refresh', '--force'], sb.env)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /failed \(.*\); retrying in 1\.0s/)
  assert.equal(server.counts.refresh_token, 1)
})

const failing: Array<[string, Fault, RegExp]> = [
  ['a persistent 500', { kind: 'status', status: 500 }, /HTTP 500/],
  ['429 with Retry-After', { kind: 'status', status: 429, retryAfter: 1 }, /HTTP 429.*retry after 1s/],
  ['a connection reset', { kind: 'reset' }, /could not refresh the token/],
]

for (const [name, fault, message] of failing) {
  test(`${name}: exit 6, one clear line, the record untouched`, async () => {
    const before = await sb.readRecord('test')
    server.injectFault({ fault })
    try {
      const r = await runCli(['refresh', '--force'], sb.env)
      assert.equal(r.code, 6, r.stderr)
      const last = r.stderr.trim().split('\n').at(-1) ?? ''
      assert.match(last, message)
      assert.match(last, /; run: authkeep refresh --profile test$/)
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
      assert.deepEqual(await sb.readRecord('test'), before)
      assertNoSecrets([r.stderr, r.stdout], await secretsOf(sb))
    } finally {
      server.injectFault(null)
    }
    const recovered = await runCli(['token'], sb.env)
    assert.equal(recovered.code, 0, recovered.stderr)
  })
}

// A 200 means the server may have rotated the refresh token: a retry would present a spent one.
for (const [name, fault] of [
  ['malformed JSON', { kind: 'malformed' }],
  ['a 200 without access_token', { kind: 'missingFields' }],
] as const) {
  test(`${name}: not retried, exit 4, the record kept and marked as needing login`, async () => {
    const before = await sb.readRecord('test')
    server.injectFault({ fault })
    server.resetCounts()
    try {
      const r = await runCli(['refresh', '--force'], sb.env)
      assert.equal(r.code, 4, r.stderr)
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line, no retries: ${r.stderr}`)
      assert.match(
        r.stderr,
        /HTTP 200, but its answer could not be read .*; run: authkeep login --profile test\n$/,
      )
      const after = await sb.readRecord('test')
      assert.equal(after.refresh_token, before.refresh_token)
      assert.equal(after.state, 'login_required')
      assertNoSecrets([r.stderr, r.stdout], await secretsOf(sb))
    } finally {
      server.injectFault(null)
    }
    assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u))).code, 0)
  })
}
