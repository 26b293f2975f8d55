import assert from 'node:assert/strict'
import { stat } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { type ChromiumApprover, launchChromium } from '../bed/chromiumApprover.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { addProfile, assertNoSecrets, deviceLogin, runCli, sandbox, secretsOf } from './harness.js'

let server: AuthServer
let chromium: ChromiumApprover
before(async () => {
  server = await startAuthServer({ deviceInterval: 1 })
  chromium = await launchChromium()
})
after(async () => {
  await chromium?.close()
  await server?.close()
})

test('device login approved in real Chromium; token is what the server accepts', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  const login = await deviceLogin(sb.env, (url) => chromium.approve(url, { login: 'chromium-user' }))
  assert.equal(login.code, 0, login.stderr)
  assert.equal(login.stdout, '', 'login keeps stdout for machine output')
  assert.match(login.stderr, /with the device flow \(as requested/)
  assert.match(login.stderr, /enter the code: [A-Z-]+/)
  assert.match(login.stderr, /✓ Logged in: profile "test"/)
  assert.equal(server.counts.device_code, 1)

  const token = await runCli(['token', '--profile', 'test'], sb.env)
  assert.equal(token.code, 0, token.stderr)
  const accessToken = token.stdout.trim()
  assert.equal(token.stdout, `${accessToken}\n`, 'token prints only the token')
  assert.deepEqual(await server.userinfo(accessToken), { status: 200, sub: 'chromium-user' })

  assert.equal((await stat(sb.recordFile('test'))).mode & 0o777, 0o600)
  const status = await runCli(['status', '--json'], sb.env)
  assert.equal(status.code, 0)
  const entry = JSON.parse(status.stdout).profiles[0]
  assert.equal(entry.state, 'valid')
  assert.equal(entry.refresh_token, true)
  assert.match(entry.stored_in, /^file /)
  assertNoSecrets([login.stderr, status.stdout, status.stderr], await secretsOf(sb))
})

test('device login over plain HTTP approval; the QR code and link go to stderr', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  const login = await deviceLogin(sb.env, (url) => approveWithHttp(url, { login: 'http-user' }))
  assert.equal(login.code, 0, login.stderr)
  assert.match(login.stderr, /[▀▄█]{10}/, 'a terminal QR code is drawn')
  const token = await runCli(['token'], sb.env)
  assert.equal((await server.userinfo(token.stdout.trim())).sub, 'http-user')
})
