import assert from 'node:assert/strict'
import { mkdir, readFile, stat, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import {
  assertNoSecrets,
  CLAUDE_TEST_SCOPES,
  claudeSandbox,
  pasteLoginClaude,
  runCli,
  spawnCli,
} from './harness.js'

let server: AuthServer
before(async () => {
  server = await startAuthServer({ jsonTokenRequests: true, scopes: CLAUDE_TEST_SCOPES })
})
after(() => server?.close())

test("claude-code: a headless paste login writes Claude Code's own file in its exact shape", async () => {
  const sb = await claudeSandbox(server)
  try {
    // What Claude and others already keep there must survive.
    await sb.writeCredentials({
      claudeAiOauth: {
        accessToken: '',
        refreshToken: '',
        expiresAt: 0,
        scopes: [],
        subscriptionType: 'pro',
        rateLimitTier: 'default_claude_pro',
      },
      mcpOAuth: { srv: { token: 'kept' } },
    })
    const before = server.jsonTokenRequests
    const stderr = await pasteLoginClaude(sb.env)
    assert.match(stderr, /with the paste flow/)
    assert.ok(server.jsonTokenRequests > before, 'the code was exchanged with a JSON body')

    const file = JSON.parse(await readFile(sb.credentials, 'utf8'))
    const o = file.claudeAiOauth
    assert.match(o.accessToken, /.{20,}/)
    assert.match(o.refreshToken, /.{20,}/)
    assert.equal(typeof o.expiresAt, 'number')
    assert.ok(
      o.expiresAt > Date.now() && o.expiresAt < Date.now() + 3_600_000,
      'expiresAt is in milliseconds',
    )
    assert.deepEqual(o.scopes, CLAUDE_TEST_SCOPES)
    assert.equal(o.subscriptionType, 'pro')
    assert.equal(o.rateLimitTier, 'default_claude_pro')
    assert.deepEqual(file.mcpOAuth, { srv: { token: 'kept' } })
    assert.equal((await stat(sb.credentials)).mode & 0o777, 0o600)
    assertNoSecrets([stderr], [o.accessToken, o.refreshToken])

    const token = await runCli(['token'], sb.env)
    assert.equal(token.stdout, `${o.accessToken}\n`, 'with nothing configured, token uses claude-code')

    const refreshed = await runCli(['refresh', '--force'], sb.env)
    assert.equal(refreshed.code, 0, refreshed.stderr)
    const after = JSON.parse(await readFile(sb.credentials, 'utf8'))
    assert.notEqual(after.claudeAiOauth.accessToken, o.accessToken)
    assert.notEqual(
      after.claudeAiOauth.refreshToken,
      o.refreshToken,
      'the rotated refresh token was written back',
    )
    assert.equal(after.claudeAiOauth.subscriptionType, 'pro')
    assert.deepEqual(after.mcpOAuth, { srv: { token: 'kept' } })
    assert.equal((await server.userinfo(after.claudeAiOauth.accessToken)).status, 200)

    const status = JSON.parse((await runCli(['status', '--json'], sb.env)).stdout)
    assert.equal(status.profiles[0].profile, 'claude-code')
    assert.equal(status.profiles[0].state, 'valid')
    assert.match(status.profiles[0].stored_in, /\.credentials\.json \(Claude Code's own\)/)
  } finally {
    await sb.cleanup()
  }
})

test('claude-code: authkeep waits while Claude Code holds its refresh lock', async () => {
  const sb = await claudeSandbox(server)
  try {
    await pasteLoginClaude(sb.env)
    const lock = join(sb.configDir, '.oauth_refresh.lock')
    await mkdir(lock)
    const touch = setInterval(() => utimes(lock, new Date(), new Date()).catch(() => {}), 500)
    try {
      const busy = await runCli(['refresh', '--force'], { ...sb.env, AUTHKEEP_LOCK_TIMEOUT: '2' })
      assert.equal(busy.code, 5)
      assert.ok(busy.stderr.includes(`${lock} for more than 2s`), busy.stderr)
    } finally {
      clearInterval(touch)
    }
    // Once the holder lets go, the waiting refresh goes through.
    const waiting = spawnCli(['refresh', '--force'], sb.env)
    waiting.stdin?.end()
    setTimeout(() => void import('node:fs/promises').then((fs) => fs.rm(lock, { recursive: true })), 1000)
    const r = await waiting.output
    assert.equal(r.code, 0, r.stderr)
  } finally {
    await sb.cleanup()
  }
})

test('claude-code: tokens Claude emptied after invalid_grant mean login required, exit 4', async () => {
  const sb = await claudeSandbox(server)
  try {
    await sb.writeCredentials({
      claudeAiOauth: { accessToken: '', refreshToken: '', expiresAt: 0, scopes: ['user:inference'] },
    })
    const r = await runCli(['token'], sb.env)
    assert.equal(r.code, 4)
    assert.match(r.stderr, /Claude Code emptied the tokens.*; run: authkeep login --profile claude-code\n$/)
  } finally {
    await sb.cleanup()
  }
})

test('claude-code: the last good login is kept, so a file Claude emptied can be seen and restored', async () => {
  const sb = await claudeSandbox(server)
  try {
    await pasteLoginClaude(sb.env)
    const good = await readFile(sb.credentials, 'utf8')
    // What Claude Code does on invalid_grant: empty the tokens, keep the rest.
    const wiped = JSON.parse(good)
    Object.assign(wiped.claudeAiOauth, { accessToken: '', refreshToken: '', expiresAt: 0 })
    await sb.writeCredentials(wiped)

    const list = JSON.parse((await runCli(['backups', '--json'], sb.env)).stdout).backups
    assert.ok(
      list.some((b: { id: string }) => b.id === 'claude-code/last-good'),
      JSON.stringify(list),
    )
    const r = await runCli(['restore', 'claude-code/last-good'], sb.env)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(await readFile(sb.credentials, 'utf8'), good)
  } finally {
    await sb.cleanup()
  }
})
