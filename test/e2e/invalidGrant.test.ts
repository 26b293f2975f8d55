import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { addProfile, assertNoSecrets, deviceLogin, runCli, sandbox } from './harness.js'

let server: AuthServer
before(async () => {
  server = await startAuthServer({ deviceInterval: 1 })
})
after(() => server?.close())

test('a revoked grant: exit 4, the message names the login command, the record is kept and marked', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env, 'work')
  assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u), 'work')).code, 0)
  const before = await sb.readRecord('work')
  await server.revokeGrantOf(before.refresh_token as string)

  const r = await runCli(['refresh', '--profile', 'work', '--force'], sb.env)
  assert.equal(r.code, 4, r.stderr)
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /invalid_grant/)
  assert.match(r.stderr, /run: authkeep login --profile work\n$/)
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack trace')

  const after = await sb.readRecord('work')
  assert.equal(after.state, 'login_required')
  assert.equal(after.refresh_token, before.refresh_token, 'the record is kept, not wiped')
  assert.equal(after.access_token, before.access_token)

  const token = await runCli(['token', '--profile', 'work'], sb.env)
  assert.equal(token.code, 4)
  assert.equal(token.stdout, '')
  assert.match(token.stderr, /run: authkeep login --profile work/)
  const status = await runCli(['status', '--json'], sb.env)
  assert.equal(status.code, 4)
  assert.equal(JSON.parse(status.stdout).profiles[0].state, 'login_required')
  const text = await runCli(['status'], sb.env)
  assert.match(text.stdout, /Login required/)
  assertNoSecrets([r.stderr, token.stderr, status.stdout, text.stdout], [
    before.access_token,
    before.refresh_token,
  ] as string[])
})
