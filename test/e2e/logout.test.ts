import assert from 'node:assert/strict'
import { access, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { addProfile, deviceLogin, runCli, sandbox } from './harness.js'

let server: AuthServer
before(async () => {
  server = await startAuthServer({ deviceInterval: 1 })
})
after(() => server?.close())

test('logout revokes at the server (RFC 7009), keeps a 0600 backup, then removes the record', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u))).code, 0)
  const record = await sb.readRecord('test')

  const r = await runCli(['logout'], sb.env)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /Logged out of profile "test": revoked at the server; backup kept at /)
  assert.equal(server.counts.revocation, 1)
  assert.equal(
    (await server.userinfo(record.access_token as string)).status,
    401,
    'revoking the grant ends its access token too',
  )
  await assert.rejects(access(sb.recordFile('test')))

  const backupsDir = join(sb.env.AUTHKEEP_HOME as string, 'state', 'backups', 'test')
  const [backup] = await readdir(backupsDir)
  assert.ok(backup?.endsWith('-logout.json'))
  const file = join(backupsDir, backup as string)
  assert.equal((await stat(file)).mode & 0o777, 0o600)
  assert.equal((await stat(backupsDir)).mode & 0o777, 0o700)
  const saved = JSON.parse(await readFile(file, 'utf8'))
  assert.equal(saved.file, sb.recordFile('test'))
  assert.equal(
    JSON.parse(saved.content).refresh_token,
    record.refresh_token,
    'the backup holds the whole credential, byte for byte',
  )

  const token = await runCli(['token'], sb.env)
  assert.equal(token.code, 4)
  assert.match(token.stderr, /has no login yet; run: authkeep login --profile test/)
  const again = await runCli(['logout'], sb.env)
  assert.equal(again.code, 0)
  assert.match(again.stderr, /not logged in; nothing to do/)
})

test('logout of an unreadable record backs up its raw text before removing it', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u))).code, 0)
  await writeFile(sb.recordFile('test'), '{"version": 1, "torn', { mode: 0o600 })
  const status = await runCli(['status'], sb.env)
  assert.equal(status.code, 3)
  assert.match(status.stdout, /not valid JSON/)
  const r = await runCli(['logout'], sb.env)
  assert.equal(r.code, 0, r.stderr)
  // Not "nothing to revoke": what it held is unknown, and it says so rather than offer a loop.
  assert.match(
    r.stderr,
    /NOT revoked at the server: its record could not be read \(not valid JSON.*\).*No token could be read from it to revoke/,
  )
  const backupsDir = join(sb.env.AUTHKEEP_HOME as string, 'state', 'backups', 'test')
  const [backup] = await readdir(backupsDir)
  const saved = JSON.parse(await readFile(join(backupsDir, backup as string), 'utf8'))
  assert.equal(saved.content, '{"version": 1, "torn')
})
