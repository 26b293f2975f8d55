import assert from 'node:assert/strict'
import { readFile, stat } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import {
  addProfile,
  assertNoSecrets,
  CLAUDE_TEST_SCOPES,
  claudeCredentialsFile,
  claudeSandbox,
  DEVICE_LINK,
  deviceLogin,
  pasteLoginClaude,
  runCli,
  sandbox,
  spawnCli,
  waitForStderr,
} from './harness.js'

let server: AuthServer
before(async () => {
  server = await startAuthServer({ deviceInterval: 1, jsonTokenRequests: true, scopes: CLAUDE_TEST_SCOPES })
})
after(() => server?.close())

test('reset: backup → revoke → clear → headless login; backups lists it and restore puts it back exactly', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u))).code, 0)
  const oldText = await readFile(sb.recordFile('test'), 'utf8')
  const old = JSON.parse(oldText)
  server.resetCounts()

  const child = spawnCli(['reset', '--method', 'device'], sb.env)
  child.stdin?.end()
  await approveWithHttp((await waitForStderr(child, DEVICE_LINK))[1] as string)
  const r = await child.output
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /Backed up the old login to .*-reset\.json\.\nRevoked it at the server\./)
  assert.equal(server.counts.revocation, 1)
  assert.equal((await server.userinfo(old.access_token)).status, 401, 'the old grant is dead')
  const fresh = await sb.readRecord('test')
  assert.notEqual(fresh.refresh_token, old.refresh_token)
  assert.equal((await server.userinfo(fresh.access_token as string)).status, 200)

  const list = JSON.parse((await runCli(['backups', '--json'], sb.env)).stdout).backups
  const resetBackup = list.find((b: { reason: string }) => b.reason === 'reset')
  assert.ok(resetBackup, JSON.stringify(list))
  const restored = await runCli(['restore', resetBackup.id], sb.env)
  assert.equal(restored.code, 0, restored.stderr)
  assert.equal(await readFile(sb.recordFile('test'), 'utf8'), oldText, 'byte for byte')
  assert.equal((await stat(sb.recordFile('test'))).mode & 0o777, 0o600)
  const after = JSON.parse((await runCli(['backups', '--json'], sb.env)).stdout).backups
  assert.ok(
    after.some((b: { reason: string }) => b.reason === 'restore'),
    'what restore replaced was backed up',
  )
  assertNoSecrets(
    [r.stderr, restored.stderr, JSON.stringify(list)],
    [old.refresh_token, fresh.refresh_token as string],
  )

  const unknown = await runCli(['restore', 'test/nope'], sb.env)
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /no backup with id "test\/nope"; run: authkeep backups/)
})

test('claude-code reset keeps what else Claude stores in the file, and the backup holds the old login', async () => {
  const sb = await claudeSandbox(server)
  try {
    const broken = claudeCredentialsFile(
      {
        accessToken: 'sk-ant-oat01-OLDEXPIRED-xxxxxxxxxxxxxxxx',
        refreshToken: 'sk-ant-ort01-DEAD-yyyyyyyyyyyyyyyy',
        expiresAt: Date.now() - 3_600_000,
      },
      { mcpOAuth: { srv: { token: 'kept' } } },
    )
    await sb.writeCredentials(broken)
    const stderr = await pasteLoginClaude(sb.env, ['reset'])
    assert.match(stderr, /Backed up the old login to/)
    const now = JSON.parse(await readFile(sb.credentials, 'utf8'))
    assert.deepEqual(now.mcpOAuth, { srv: { token: 'kept' } })
    assert.notEqual(now.claudeAiOauth.accessToken, broken.claudeAiOauth.accessToken)
    assert.equal((await server.userinfo(now.claudeAiOauth.accessToken)).status, 200)
    const list = JSON.parse((await runCli(['backups', '--json', '--profile', 'claude-code'], sb.env)).stdout)
    const backup = list.backups.find((b: { reason: string }) => b.reason === 'reset')
    const saved = JSON.parse(
      await readFile(`${sb.env.AUTHKEEP_HOME}/state/backups/${backup.id}.json`, 'utf8'),
    )
    assert.deepEqual(JSON.parse(saved.content), broken)
    assertNoSecrets([stderr], [broken.claudeAiOauth.refreshToken])
  } finally {
    await sb.cleanup()
  }
})

test("login --long-lived keeps a one-year inference token as the key exec uses, and leaves Claude's file alone", async () => {
  const sb = await claudeSandbox(server)
  try {
    const stderr = await pasteLoginClaude(sb.env, ['login', '--long-lived'])
    assert.match(stderr, /✓ Long-lived token for profile "claude-code" stored .*valid until/)
    await assert.rejects(stat(sb.credentials), "Claude's own login file is not touched")
    const r = await runCli(['exec', '--', 'sh', '-c', 'printf "%s" "$CLAUDE_CODE_OAUTH_TOKEN"'], sb.env)
    assert.equal(r.code, 0, r.stderr)
    assert.equal((await server.userinfo(r.stdout)).status, 200)
  } finally {
    await sb.cleanup()
  }
})
