import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { type ChromiumApprover, launchChromium } from '../bed/chromiumApprover.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import {
  AUTHORIZE_URL,
  addProfile,
  assertNoSecrets,
  freePort,
  runCli,
  sandbox,
  secretsOf,
  spawnCli,
  waitForStderr,
} from './harness.js'

let server: AuthServer
let chromium: ChromiumApprover
before(async () => {
  server = await startAuthServer()
  chromium = await launchChromium()
})
after(async () => {
  await chromium?.close()
  await server?.close()
})

test('loopback login: Chromium follows the printed URL to the 127.0.0.1 callback', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  const child = spawnCli(['login', '--method', 'loopback'], sb.env)
  child.stdin?.end()
  const [, url] = await waitForStderr(child, AUTHORIZE_URL)
  const authorize = new URL(url as string)
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256')
  assert.equal(authorize.searchParams.get('prompt'), 'consent')
  const redirect = new URL(authorize.searchParams.get('redirect_uri') as string)
  assert.equal(redirect.hostname, '127.0.0.1')

  const { finalUrl } = await chromium.approve(url as string, { login: 'loopback-user' })
  assert.ok(finalUrl.startsWith(`http://127.0.0.1:${redirect.port}/callback`), finalUrl)
  const r = await child.output
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, '')
  assert.equal(server.counts.authorization_code, 1)

  const token = await runCli(['token'], sb.env)
  assert.equal((await server.userinfo(token.stdout.trim())).sub, 'loopback-user')
  // The listener served one callback and is gone.
  await assert.rejects(fetch(`http://127.0.0.1:${redirect.port}/callback`))
  assertNoSecrets([r.stderr], await secretsOf(sb))
})

test('loopback login over SSH prints the exact ssh -L line for the laptop, on the chosen --port', async () => {
  const sb = await sandbox({ SSH_CONNECTION: '203.0.113.9 51000 198.51.100.7 2222', USER: 'dev' })
  const port = await freePort()
  try {
    await addProfile(server, sb.env)
    const child = spawnCli(['login', '--method', 'loopback', '--port', String(port)], sb.env)
    child.stdin?.end()
    const [, url] = await waitForStderr(child, AUTHORIZE_URL)
    await waitForStderr(child, /Waiting for the browser/)
    const r0 = await approveWithHttp(url as string, { deliver: true })
    assert.ok(r0.redirectedTo?.startsWith(`http://127.0.0.1:${port}/callback?`))
    const r = await child.output
    assert.equal(r.code, 0, r.stderr)
    assert.ok(r.stderr.includes(`ssh -L ${port}:127.0.0.1:${port} -p 2222 dev@198.51.100.7`), r.stderr)
  } finally {
    await sb.cleanup()
  }
})

test('a busy --port is a clear error that names the fix', async () => {
  const sb = await sandbox()
  const blocker = createServer().listen(0, '127.0.0.1')
  await new Promise((r) => blocker.once('listening', r))
  const port = (blocker.address() as { port: number }).port
  try {
    await addProfile(server, sb.env)
    const r = await runCli(['login', '--method', 'loopback', '--port', String(port)], sb.env)
    assert.equal(r.code, 1)
    assert.match(
      r.stderr,
      new RegExp(
        `port ${port} on 127.0.0.1 is already in use; run: authkeep login --profile test --method loopback --port 0`,
      ),
    )
  } finally {
    blocker.close()
    await sb.cleanup()
  }
})

test('a callback with a wrong or no state is refused as CSRF, and the listener still takes the right one', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  const grantsBefore = server.counts.authorization_code
  const child = spawnCli(['login', '--method', 'loopback'], sb.env)
  child.stdin?.end()
  const [, url] = await waitForStderr(child, AUTHORIZE_URL)
  await waitForStderr(child, /Waiting for the browser/)
  const redirect = new URL(new URL(url as string).searchParams.get('redirect_uri') as string)
  for (const query of ['?code=stolen&state=forged-state', '?code=stolen', '?error=access_denied']) {
    const stray = await fetch(`${redirect.href}${query}`)
    assert.equal(stray.status, 400, query)
    assert.match(await stray.text(), /does not belong to the sign-in in progress/)
  }
  // Each refusal is told at the terminal, one line each.
  await waitForStderr(child, /(possible CSRF\); still waiting for the right one\n[\s\S]*){3}/)
  assert.equal(child.exitCode, null, 'the stray callbacks did not end the login')

  const { redirectedTo } = await approveWithHttp(url as string, { deliver: true })
  assert.ok(redirectedTo?.startsWith(redirect.href))
  const r = await child.output
  assert.equal(r.code, 0, r.stderr)
  assert.equal(server.counts.authorization_code, grantsBefore + 1, 'one code redeemed: the right one')
  assert.equal((await runCli(['token'], sb.env)).code, 0)
})

test('after a forged callback the listener waits until --timeout, then exits 130 with nothing stored', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  const child = spawnCli(['login', '--method', 'loopback', '--timeout', '3'], sb.env)
  child.stdin?.end()
  const [, url] = await waitForStderr(child, AUTHORIZE_URL)
  await waitForStderr(child, /Waiting for the browser/)
  const redirect = new URL(url as string).searchParams.get('redirect_uri') as string
  assert.equal((await fetch(`${redirect}?code=stolen&state=forged`)).status, 400)
  const r = await child.output
  assert.equal(r.code, 130, r.stderr)
  assert.match(r.stderr, /possible CSRF/)
  await assert.rejects(readFile(sb.recordFile('test')), 'no record was written')
})
