import assert from 'node:assert/strict'
import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { type KeyringSession, startKeyringSession } from '../bed/keyringSession.js'
import { addProfile, deviceLogin, runCli, sandbox } from './harness.js'

let server: AuthServer
before(async () => {
  server = await startAuthServer({ deviceInterval: 1 })
})
after(() => server?.close())

test('with a working Secret Service the tokens live in the keyring, not in the file', async () => {
  const sb = await sandbox()
  let keyring: KeyringSession | undefined
  try {
    keyring = await startKeyringSession(join(sb.dir, 'home'))
    const env = { ...sb.env, ...keyring.env }
    await addProfile(server, env, 'test', 'auto')
    const login = await deviceLogin(env, (u) => approveWithHttp(u))
    assert.equal(login.code, 0, login.stderr)
    assert.match(login.stderr, /secrets in keyring \(authkeep\/test\)/)
    const text = await readFile(sb.recordFile('test'), 'utf8')
    assert.equal(JSON.parse(text).secrets_in, 'keyring')
    assert.doesNotMatch(text, /access_token|refresh_token/)

    const token = await runCli(['token'], env)
    assert.equal((await server.userinfo(token.stdout.trim())).status, 200)
    assert.equal((await runCli(['refresh', '--force'], env)).code, 0)
    const refreshed = await runCli(['token'], env)
    assert.notEqual(refreshed.stdout, token.stdout)
    assert.equal((await server.userinfo(refreshed.stdout.trim())).status, 200)
    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout).profiles[0]
    assert.equal(status.stored_in, 'keyring (authkeep/test)')

    // Without the session the secrets cannot be read: a clear error, not an empty token.
    const noBus = await runCli(['token'], sb.env)
    assert.equal(noBus.code, 1)
    assert.match(noBus.stderr, /cannot read the secrets of profile "test" from the keyring authkeep\/test/)

    assert.equal((await runCli(['logout'], env)).code, 0)
    await assert.rejects(access(sb.recordFile('test')))
  } finally {
    await keyring?.stop()
    await sb.cleanup()
  }
})

test('without a keyring, auto falls back to a 0600 file and says so; --store keyring refuses', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env, 'test', 'auto')
  server.resetCounts()
  const r1 = await runCli(['login', '--method', 'device', '--store', 'keyring'], sb.env)
  assert.equal(r1.code, 1)
  assert.doesNotMatch(r1.stderr, /enter the code/, 'refused before anyone is asked to approve')
  assert.equal(server.counts.device_code, 0)
  assert.match(
    r1.stderr,
    /the system keyring is not available .*; nothing was stored; run: authkeep login --profile test --store file/,
  )
  await assert.rejects(access(sb.recordFile('test')))

  const login = await deviceLogin(sb.env, (u) => approveWithHttp(u))
  assert.equal(login.code, 0, login.stderr)
  assert.match(
    login.stderr,
    /! the system keyring is not available .*; storing the tokens in a 0600 file instead/,
  )
  assert.equal((await sb.readRecord('test')).secrets_in, 'file')
})
