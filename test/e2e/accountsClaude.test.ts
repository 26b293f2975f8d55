// Several accounts with the real Claude Code 2.1.197 as the client (issue 12): two grants at the
// oidc-provider test server, switched back and forth while Claude and authkeep refresh them; a directory
// bound to the inactive account; a switch that meets Claude in the middle of its own refresh.
// Claude's refreshes reach the test server through the fake API (a socket file crosses the namespace).
import assert from 'node:assert/strict'
import { access, mkdir, readFile, writeFile } from 'node:fs/promises'
import { connect, createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import {
  CLAUDE_BIN,
  type ClaudeRun,
  type ClaudeSandbox,
  claudeSandbox,
  inferenceRequests,
  tokenRequests,
} from '../bed/claude/claudeHarness.js'
import { nsenterArgv, requireNetnsTools } from '../bed/claude/netns.js'
import { startTmux } from '../bed/tmux.js'
import {
  BIN,
  CLAUDE_TEST_SCOPES,
  claudeCredentialsFile,
  pasteLoginClaude,
  pointClaudeProfileAt,
  runCli,
  spawnCli,
} from './harness.js'

let server: AuthServer
before(async () => {
  server = await startAuthServer({
    jsonTokenRequests: true,
    ttl: { accessToken: 3600 },
    scopes: CLAUDE_TEST_SCOPES,
  })
})
after(() => server?.close())

interface Bed {
  cs: ClaudeSandbox
  env: Record<string, string> & { AUTHKEEP_HOME: string }
  /** Claude's environment: its refreshes are sent with the test server's client id. */
  claudeEnv: Record<string, string>
  /** A 401 for this (unexpired) token makes Claude refresh at its next request, as a revoked one would. */
  claudeMustRefresh(token: string | undefined, delayMs?: number): Promise<void>
}

/** A Claude sandbox whose token refreshes reach the test server through a socket file. */
async function bed(t: { after(fn: () => Promise<void>): void }): Promise<Bed> {
  const cs = await claudeSandbox()
  const relay: Server = createServer((down) => {
    const up = connect(Number(new URL(server.issuer).port), '127.0.0.1')
    down.pipe(up).pipe(down)
    up.on('error', () => down.destroy())
    down.on('error', () => up.destroy())
  })
  const socket = join(cs.root, 'token-upstream.sock')
  await new Promise<void>((done) => relay.listen(socket, done))
  t.after(async () => {
    await cs.cleanup()
    await new Promise<void>((done) => relay.close(() => done()))
  })
  const env: Record<string, string> & { AUTHKEEP_HOME: string } = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: cs.home,
    CLAUDE_CONFIG_DIR: cs.configDir,
    AUTHKEEP_HOME: join(cs.root, 'authkeep'),
    LANG: 'C.UTF-8',
  }
  await pointClaudeProfileAt(server, env.AUTHKEEP_HOME)
  const token = new URL(server.endpoints.token)
  const upstream = { socket, path: token.pathname, host: token.host }
  await cs.setApiBehaviour({ tokenUpstream: upstream })
  return {
    cs,
    env,
    claudeEnv: { CLAUDE_CODE_OAUTH_CLIENT_ID: server.clientId },
    claudeMustRefresh: (token, delayMs) =>
      cs.setApiBehaviour({
        tokenUpstream: upstream,
        ...(token ? { deny: [token] } : {}),
        ...(delayMs ? { tokenDelayMs: delayMs } : {}),
      }),
  }
}

const UNRELATED = { mcpOAuth: { srv: { accessToken: 'mcp-kept' } }, organizationUuid: 'org-kept' }

async function twoAccounts(b: Bed): Promise<void> {
  await b.cs.writeCredentials(
    claudeCredentialsFile({ accessToken: '', refreshToken: '', expiresAt: 0 }, UNRELATED),
  )
  await pasteLoginClaude(b.env, ['account', 'add', 'a'])
  await pasteLoginClaude(b.env, ['account', 'add', 'b'])
}

const claudeFile = async (b: Bed) => JSON.parse(await readFile(b.cs.credentialsFile, 'utf8'))
const slot = async (b: Bed, account: string) =>
  JSON.parse(
    await readFile(join(b.env.AUTHKEEP_HOME, 'state', 'credentials', `claude-code@${account}.json`), 'utf8'),
  ) as {
    access_token: string
    refresh_token: string
  }
const bearers = (r: ClaudeRun) => inferenceRequests(r.requests).map((q) => q.authorization)

async function switchTo(b: Bed, account: string): Promise<void> {
  const r = await runCli(['switch', account], b.env)
  assert.equal(r.code, 0, r.stderr)
}

test('100 switches between two accounts with refreshes by Claude and by authkeep: no grant lost, Claude sends the active one', async (t) => {
  const b = await bed(t)
  await twoAccounts(b)
  await switchTo(b, 'a')
  let claudeRefreshes = 0
  let authkeepRefreshes = 0
  for (let i = 0; i < 100; i++) {
    const account = i % 2 === 0 ? 'b' : 'a'
    const incoming = await slot(b, account)
    await switchTo(b, account)
    const file = await claudeFile(b)
    assert.equal(
      file.claudeAiOauth.accessToken,
      incoming.access_token,
      `switch ${i}: the incoming tokens are in`,
    )
    assert.deepEqual(
      { mcpOAuth: file.mcpOAuth, organizationUuid: file.organizationUuid },
      UNRELATED,
      `switch ${i}: unrelated fields survive`,
    )
    const byClaude = i % 5 === 3
    if (byClaude) await b.claudeMustRefresh(incoming.access_token)
    const r = await b.cs.run(['-p', 'ping'], b.claudeEnv)
    if (byClaude) await b.claudeMustRefresh(undefined)
    assert.equal(r.code, 0, `run ${i}: ${r.stdout}${r.stderr}`)
    const sent = bearers(r)
    assert.equal(
      sent[0],
      `Bearer ${incoming.access_token}`,
      `run ${i}: Claude sent the active account's token`,
    )
    if (byClaude) {
      const refreshed = tokenRequests(r.requests)
      assert.equal(refreshed.length, 1, `run ${i}: Claude refreshed once`)
      assert.equal(refreshed[0]?.status, 200, `run ${i}: the server took the refresh token`)
      assert.equal(refreshed[0]?.refreshToken, incoming.refresh_token)
      const now = await claudeFile(b)
      assert.equal(sent.at(-1), `Bearer ${now.claudeAiOauth.accessToken}`, `run ${i}: then its new token`)
      claudeRefreshes++
    }
    if (i % 7 === 5) {
      const r2 = await runCli(['refresh', '--force'], b.env)
      assert.equal(r2.code, 0, `refresh ${i}: ${r2.stderr}`)
      authkeepRefreshes++
    }
  }
  assert.ok(claudeRefreshes >= 19 && authkeepRefreshes >= 14)
  // No grant lost: each account refreshes at the server once switched in (a spent token would be refused).
  for (const account of ['a', 'b']) {
    await switchTo(b, account)
    const r = await runCli(['refresh', '--force'], b.env)
    assert.equal(r.code, 0, `${account}: ${r.stderr}`)
    const run = await b.cs.run(['-p', 'ping'], b.claudeEnv)
    assert.deepEqual(bearers(run), [`Bearer ${(await claudeFile(b)).claudeAiOauth.accessToken}`])
  }
  const list = JSON.parse((await runCli(['account', 'list', '--json'], b.env)).stdout).accounts
  assert.deepEqual(
    list.map((r: { account: string; state: string; active: boolean }) => [r.account, r.state, r.active]),
    [
      ['a', 'valid', false],
      ['b', 'valid', true],
    ],
  )
  assert.deepEqual((await claudeFile(b)).mcpOAuth, UNRELATED.mcpOAuth)
})

test('a directory bound to account b while a is active: exec -- claude sends b there, a elsewhere', async (t) => {
  const b = await bed(t)
  await twoAccounts(b)
  await switchTo(b, 'a')
  const aToken = (await claudeFile(b)).claudeAiOauth.accessToken
  const bToken = (await slot(b, 'b')).access_token
  await writeFile(join(b.cs.projectDir, '.authkeep-account'), 'claude-code=b\n')
  const elsewhere = join(b.cs.root, 'elsewhere')
  await mkdir(elsewhere)
  const exec = [process.execPath, BIN, 'exec', '--', CLAUDE_BIN]
  const inside = await b.cs.run(['-p', 'ping'], { ...b.env, ...b.claudeEnv }, { command: exec })
  assert.equal(inside.code, 0, inside.stderr)
  assert.deepEqual([...new Set(bearers(inside))], [`Bearer ${bToken}`])
  const outside = await b.cs.run(
    ['-p', 'ping'],
    { ...b.env, ...b.claudeEnv },
    { command: ['/bin/sh', '-c', 'cd "$0" && exec "$@"', elsewhere, ...exec] },
  )
  assert.equal(outside.code, 0, outside.stderr)
  assert.deepEqual([...new Set(bearers(outside))], [`Bearer ${aToken}`])
  assert.equal((await claudeFile(b)).claudeAiOauth.accessToken, aToken, 'nothing switched machine-wide')
})

test("a switch while Claude is mid-refresh waits for Claude's lock and keeps the token Claude got", async (t) => {
  const b = await bed(t)
  await twoAccounts(b)
  await switchTo(b, 'a')
  const before = (await claudeFile(b)).claudeAiOauth
  const spentByClaude = before.refreshToken
  // Claude's refresh takes 3 s at the server, holding its refresh lock all along.
  await b.claudeMustRefresh(before.accessToken, 3_000)
  const claude = b.cs.run(['-p', 'ping'], b.claudeEnv)
  const lock = join(b.cs.configDir, '.oauth_refresh.lock')
  const held = () =>
    access(lock).then(
      () => true,
      () => false,
    )
  for (let i = 0; i < 400 && !(await held()); i++) await sleep(25)
  assert.ok(await held(), 'Claude holds its refresh lock when the switch starts')
  const sw = spawnCli(['switch', 'b'], b.env)
  sw.stdin?.end()
  const [run, switched] = await Promise.all([claude, sw.output])
  await b.claudeMustRefresh(undefined)
  assert.equal(run.code, 0, run.stderr)
  assert.equal(switched.code, 0, switched.stderr)
  const refresh = tokenRequests(run.requests)
  assert.equal(refresh.length, 1)
  assert.equal(refresh[0]?.refreshToken, spentByClaude)
  const savedA = await slot(b, 'a')
  assert.equal(
    savedA.access_token,
    refresh[0]?.issuedAccessToken,
    "the switch saved the token Claude's refresh got",
  )
  assert.notEqual(savedA.refresh_token, spentByClaude, 'not the spent one')
  const slotB = join(b.env.AUTHKEEP_HOME, 'state', 'credentials', 'claude-code@b.json')
  assert.equal(
    await access(slotB).then(
      () => true,
      () => false,
    ),
    false,
    "b has one copy: in Claude's file",
  )
  // Nothing spent twice: a refreshes at the server once switched back in.
  await switchTo(b, 'a')
  const r = await runCli(['refresh', '--force'], b.env)
  assert.equal(r.code, 0, r.stderr)
})

test('a claude session already running picks up the switched-in account at its next request', async (t) => {
  const b = await bed(t)
  await twoAccounts(b)
  await switchTo(b, 'a')
  const aToken = (await claudeFile(b)).claudeAiOauth.accessToken
  const bToken = (await slot(b, 'b')).access_token
  const tools = requireNetnsTools()
  const session = await startTmux(nsenterArgv(tools, b.cs.netnsPid, [CLAUDE_BIN]), {
    env: { ...b.cs.baseEnv, ...b.claudeEnv },
    cwd: b.cs.projectDir,
  })
  t.after(() => session.kill())
  let asked = 0
  const messagesSoFar = async () => inferenceRequests(await b.cs.requests())
  const ask = async (text: string) => {
    const before = (await messagesSoFar()).length
    await session.sendText(text)
    await session.sendEnter()
    for (let i = 0; i < 400 && (await messagesSoFar()).length === before; i++) await sleep(50)
    // The answer is on the screen once per question asked so far.
    const answered = () => session.capture().then((screen) => screen.split('● pong').length - 1)
    for (let i = 0; i < 400 && (await answered()) < asked + 1; i++) await sleep(50)
    asked++
    return (await messagesSoFar()).slice(before).map((q) => q.authorization)
  }
  await session.waitFor(/for shortcuts|>/, 30_000)
  const first = await ask('first')
  assert.ok(first.length > 0 && first.every((h) => h === `Bearer ${aToken}`), 'started on a')
  await switchTo(b, 'b')
  // Observed with 2.1.197: Claude re-reads its credential file when it changed, so the same session
  // continues on the new account (README "Accounts" says so).
  const second = await ask('second')
  assert.ok(second.length > 0 && second.every((h) => h === `Bearer ${bToken}`), 'continued on b')
  assert.equal((await claudeFile(b)).claudeAiOauth.accessToken, bToken)
})
