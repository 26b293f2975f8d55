import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import {
  CLAUDE_BIN,
  type ClaudeSandbox,
  claudeSandbox,
  holdClaudeLock,
  inferenceRequests,
  tokenRequests,
} from '../bed/claude/claudeHarness.js'
import {
  assertNoSecrets,
  BIN,
  CLAUDE_TEST_SCOPES,
  claudeCredentialsFile,
  pasteLoginClaude,
  pointClaudeProfileAt,
  runCli,
  spawnCli,
} from './harness.js'

// Real Claude Code 2.1.197 as the client of what authkeep writes, in a loopback-only network namespace.
// Access tokens live an hour, so Claude (which refreshes 5 minutes early) never refreshes by itself here.
let server: AuthServer
before(async () => {
  server = await startAuthServer({
    jsonTokenRequests: true,
    ttl: { accessToken: 3600 },
    scopes: CLAUDE_TEST_SCOPES,
  })
})
after(() => server?.close())

const API_KEY = 'sk-ant-api03-REALCLAUDEKEY-0123456789abcdefghijklmn'

/** authkeep's environment for a Claude sandbox: the same HOME and CLAUDE_CONFIG_DIR Claude runs with. */
async function authkeepFor(cs: ClaudeSandbox): Promise<Record<string, string> & { AUTHKEEP_HOME: string }> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: cs.home,
    CLAUDE_CONFIG_DIR: cs.configDir,
    AUTHKEEP_HOME: join(cs.root, 'authkeep'),
    LANG: 'C.UTF-8',
  }
  await pointClaudeProfileAt(server, env.AUTHKEEP_HOME)
  return env
}

const bearer = (r: { requests: Parameters<typeof inferenceRequests>[0] }) => [
  ...new Set(inferenceRequests(r.requests).map((q) => q.authorization)),
]

test('Claude Code sends exactly the token authkeep wrote, then the refreshed one; fields it owns survive', async () => {
  const cs = await claudeSandbox()
  try {
    const env = await authkeepFor(cs)
    await cs.writeCredentials({
      claudeAiOauth: {
        accessToken: '',
        refreshToken: '',
        expiresAt: 0,
        scopes: [],
        subscriptionType: 'pro',
        rateLimitTier: 'default_claude_pro',
      },
      organizationUuid: 'org-kept',
    })
    await pasteLoginClaude(env)
    const first = JSON.parse(await readFile(cs.credentialsFile, 'utf8')).claudeAiOauth

    const r1 = await cs.run()
    assert.equal(r1.code, 0, `${r1.stdout}${r1.stderr}`)
    assert.deepEqual(bearer(r1), [`Bearer ${first.accessToken}`])
    assert.equal(
      inferenceRequests(r1.requests).some((q) => q.xApiKey),
      false,
    )
    assert.deepEqual(tokenRequests(r1.requests), [], 'Claude did not refresh by itself')

    assert.equal((await runCli(['refresh', '--force'], env)).code, 0)
    const second = JSON.parse(await readFile(cs.credentialsFile, 'utf8'))
    assert.notEqual(second.claudeAiOauth.accessToken, first.accessToken)
    const r2 = await cs.run()
    assert.equal(r2.code, 0, r2.stderr)
    assert.deepEqual(bearer(r2), [`Bearer ${second.claudeAiOauth.accessToken}`])

    const now = JSON.parse(await readFile(cs.credentialsFile, 'utf8'))
    assert.equal(now.claudeAiOauth.subscriptionType, 'pro')
    assert.equal(now.organizationUuid, 'org-kept')
  } finally {
    await cs.cleanup()
  }
})

test('exec: Claude Code uses the variable authkeep sets, with the outranking ones cleared', async () => {
  const cs = await claudeSandbox()
  try {
    const env = await authkeepFor(cs)
    await pasteLoginClaude(env)
    const token = JSON.parse(await readFile(cs.credentialsFile, 'utf8')).claudeAiOauth.accessToken
    const exec = [process.execPath, BIN, 'exec', '--', CLAUDE_BIN]
    const withOAuth = await cs.run(
      ['-p', 'ping'],
      { ...env, ANTHROPIC_API_KEY: 'sk-ant-api03-SHADOWING' },
      { command: exec },
    )
    assert.equal(withOAuth.code, 0, withOAuth.stderr)
    assert.deepEqual(
      bearer(withOAuth),
      [`Bearer ${token}`],
      'CLAUDE_CODE_OAUTH_TOKEN, with the API key cleared',
    )
    assert.match(withOAuth.stderr, /unset ANTHROPIC_API_KEY/)

    assert.equal((await runCli(['key', 'set'], env, API_KEY)).code, 0)
    const withKey = await cs.run(
      ['-p', 'ping'],
      { ...env, ANTHROPIC_AUTH_TOKEN: 'gateway-token' },
      { command: exec },
    )
    assert.equal(withKey.code, 0, withKey.stderr)
    const sent = inferenceRequests(withKey.requests)
    assert.ok(
      sent.length > 0 && sent.every((q) => q.xApiKey === API_KEY && !q.authorization),
      JSON.stringify(sent),
    )
    assertNoSecrets([withKey.stdout, withKey.stderr, withOAuth.stderr], [API_KEY, token])
  } finally {
    await cs.cleanup()
  }
})

test('use-helper: Claude Code asks authkeep for its key and sends it', async () => {
  const cs = await claudeSandbox()
  try {
    const env = await authkeepFor(cs)
    assert.equal((await runCli(['key', 'set'], env, API_KEY)).code, 0)
    assert.equal((await runCli(['claude', 'use-helper'], env)).code, 0)
    const r = await cs.run()
    assert.equal(r.code, 0, r.stderr)
    const sent = inferenceRequests(r.requests)
    assert.ok(sent.length > 0 && sent.every((q) => q.xApiKey === API_KEY), JSON.stringify(sent))
  } finally {
    await cs.cleanup()
  }
})

test('authkeep waits while Claude Code holds its refresh locks, then refreshes', async () => {
  const cs = await claudeSandbox()
  try {
    const env = await authkeepFor(cs)
    await pasteLoginClaude(env)
    const held = await holdClaudeLock(cs.configDir)
    const busy = await runCli(['refresh', '--force'], { ...env, AUTHKEEP_LOCK_TIMEOUT: '1' })
    assert.equal(busy.code, 5, busy.stderr)
    const waiting = spawnCli(['refresh', '--force'], env)
    waiting.stdin?.end()
    const started = Date.now()
    setTimeout(() => void held.release(), 1500)
    const r = await waiting.output
    assert.equal(r.code, 0, r.stderr)
    assert.ok(Date.now() - started >= 1400, 'it waited for the release')
    const after = await cs.run()
    assert.equal(after.code, 0, after.stderr)
  } finally {
    await cs.cleanup()
  }
})

test('the broken VPS: doctor names all three causes, reset logs in headlessly, Claude Code works again', async () => {
  const cs = await claudeSandbox()
  try {
    const env = await authkeepFor(cs)
    const broken = claudeCredentialsFile({
      accessToken: 'sk-ant-oat01-EXPIRED-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      refreshToken: 'sk-ant-ort01-DEAD-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      expiresAt: Date.now() - 3_600_000,
    })
    await cs.writeCredentials(broken)
    const shell = { ...env, ANTHROPIC_API_KEY: API_KEY }

    const doctor = await runCli(['doctor', '--online', '--json'], shell)
    assert.equal(doctor.code, 8, doctor.stdout)
    const ids = JSON.parse(doctor.stdout).findings.map((f: { id: string }) => f.id)
    for (const id of ['access.expired', 'login.online', 'env.anthropic_api_key'])
      assert.ok(ids.includes(id), `${id} in ${ids}`)
    const text = await runCli(['doctor', '--online'], shell)
    assert.match(text.stdout, /fix: unset ANTHROPIC_API_KEY/)
    assert.match(text.stdout, /fix: authkeep reset --profile claude-code/)
    assertNoSecrets(
      [doctor.stdout, text.stdout, doctor.stderr],
      [API_KEY, broken.claudeAiOauth.accessToken, broken.claudeAiOauth.refreshToken],
    )

    // The person follows the fixes: unset the key (a new shell), then reset with a pasted code.
    await pasteLoginClaude(env, ['reset'])
    const fresh = JSON.parse(await readFile(cs.credentialsFile, 'utf8')).claudeAiOauth
    const r = await cs.run()
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(bearer(r), [`Bearer ${fresh.accessToken}`])
    assert.equal((await runCli(['doctor'], env)).code, 0)

    const backups = JSON.parse((await runCli(['backups', '--json'], env)).stdout).backups
    const reset = backups.find((b: { reason: string }) => b.reason === 'reset')
    const saved = JSON.parse(
      await readFile(join(env.AUTHKEEP_HOME, 'state', 'backups', `${reset.id}.json`), 'utf8'),
    )
    assert.deepEqual(JSON.parse(saved.content), broken, 'the backup holds the old state')
  } finally {
    await cs.cleanup()
  }
})
