import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type AuthServer, startAuthServer } from './authServer.js'
import { type ChromiumApprover, launchChromium } from './chromiumApprover.js'
import { authorizationRequest, deviceLogin, discover, startLoopback, within } from './clientFlows.js'
import { approveWithHttp } from './httpApprover.js'

const T = { timeout: 60_000 }

// A loopback port with nothing behind it, as in a paste flow where no listener runs.
async function deadPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

function wrongCodeUrl(server: AuthServer): string {
  return `${server.issuer}/device?user_code=WXYZ-WXYZ`
}

describe('httpApprover', () => {
  let server: AuthServer
  before(async () => {
    server = await startAuthServer()
  })
  after(() => server.close())

  test('approves a device login as the given person', T, async () => {
    const config = await discover(server)
    const { tokens } = await deviceLogin(config, (url) => approveWithHttp(url, { login: 'carol' }), {
      pollInterval: 0.1,
    })
    assert.equal(tokens.claims()?.sub, 'carol')
  })

  test('stops at the loopback redirect unless asked to deliver', T, async () => {
    const config = await discover(server)
    const loopback = await startLoopback()
    try {
      const req = await authorizationRequest(config, loopback.redirectUri)
      const { redirectedTo } = await approveWithHttp(req.url)
      assert.ok(redirectedTo)
      assert.ok(redirectedTo.startsWith(`${loopback.redirectUri}?code=`), redirectedTo)
      assert.equal(loopback.hits(), 0)
      const tokens = await req.redeem(redirectedTo)
      assert.ok(tokens.refresh_token)
    } finally {
      await loopback.close()
    }
  })

  test('fails clearly on a wrong user code', T, async () => {
    await assert.rejects(approveWithHttp(wrongCodeUrl(server)), /user_code/)
  })
})

describe('chromiumApprover', () => {
  let server: AuthServer
  let browser: ChromiumApprover
  let shots: string
  before(async () => {
    server = await startAuthServer({ deviceInterval: 1 })
    browser = await launchChromium()
    shots = await mkdtemp(join(tmpdir(), 'authkeep-shots-'))
  })
  after(async () => {
    await browser?.close()
    await server?.close()
    if (shots) await rm(shots, { recursive: true, force: true })
  })

  test('device flow: confirm, login, consent, then the poll gets tokens', T, async () => {
    const config = await discover(server)
    let finalUrl = ''
    const { tokens } = await deviceLogin(config, async (url) => {
      finalUrl = (await browser.approve(url, { login: 'dave' })).finalUrl
    })
    assert.equal(tokens.claims()?.sub, 'dave')
    assert.equal(server.counts.device_code, 1)
    assert.ok(finalUrl.startsWith(`${server.issuer}/device/`), finalUrl)
    const shot = join(shots, 'device.png')
    await browser.screenshot(shot)
    assert.deepEqual([...(await readFile(shot)).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47])
  })

  test('auth code: the browser really follows the redirect to the listener', T, async () => {
    // The session from the device login is still there, so no login page this time.
    const config = await discover(server)
    const loopback = await startLoopback()
    try {
      const req = await authorizationRequest(config, loopback.redirectUri)
      const result = await browser.approve(req.url)
      const callback = await within(loopback.received, 5_000, 'the callback')
      assert.equal(result.redirectedTo, callback.href)
      assert.equal(result.finalUrl, callback.href)
      const tokens = await req.redeem(callback)
      assert.equal(tokens.claims()?.sub, 'dave')
      assert.ok(tokens.refresh_token)
    } finally {
      await loopback.close()
    }
  })

  test('paste flow: stopAtRedirect captures the URL with nothing listening', T, async () => {
    // A fresh server knows nothing of the browser's session, so this one logs in again.
    const fresh = await startAuthServer()
    try {
      const config = await discover(fresh)
      const req = await authorizationRequest(config, `http://127.0.0.1:${await deadPort()}/callback`)
      const { redirectedTo } = await browser.approve(req.url, { login: 'erin', stopAtRedirect: true })
      assert.ok(redirectedTo)
      assert.match(redirectedTo, /^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/)
      const tokens = await req.redeem(redirectedTo)
      assert.equal(tokens.claims()?.sub, 'erin')
      assert.equal(fresh.counts.authorization_code, 1)
    } finally {
      await fresh.close()
    }
  })

  test('fails clearly on a wrong user code', T, async () => {
    await assert.rejects(browser.approve(wrongCodeUrl(server)), /user code/)
  })
})
