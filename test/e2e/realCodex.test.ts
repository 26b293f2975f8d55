import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  CODEX_VERSION,
  type CodexSandbox,
  codexSandbox,
  modelBearers,
  type RecordedRequest,
  type Run,
  tokenRequests,
} from '../bed/codex/codexHarness.js'
import { accessTokenJwt, codexAuthJson, writeCodexConfig } from '../bed/codex/fakeOpenAi.js'
import { filesUnder } from '../bed/files.js'

// The real Codex CLI as the client of what authkeep writes, offline: `codex exec` with a local model
// provider that needs the ChatGPT login and CODEX_REFRESH_TOKEN_URL_OVERRIDE, in a loopback-only network
// namespace where authkeep and Codex refresh at the one fake token endpoint.
const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s
const anHourAgo = () => new Date(Date.now() - 3_600_000).toISOString()

/** Plays the person: once a device login has asked for a code, approves it at the fake's page. */
async function approveWhenAsked(cs: CodexSandbox): Promise<void> {
  for (let i = 0; i < 300; i++) {
    await new Promise((r) => setTimeout(r, 100))
    const code = (await cs.requests()).find((r) => r.userCode)?.userCode
    if (!code) continue
    const page = `${cs.url}/codex/device?user_code=${code}`
    const r = await cs.run([
      process.execPath,
      '-e',
      `fetch(${JSON.stringify(page)}).then((r) => process.exit(r.ok ? 0 : 1))`,
    ])
    assert.equal(r.code, 0, r.stderr)
    return
  }
  throw new Error('no device login asked for a code within 30 s')
}

/** A login Codex itself left behind: its token inside Codex's 5-minute window, issued an hour ago. */
async function expiringLogin(cs: CodexSandbox, refreshToken: string): Promise<void> {
  await cs.writeAuth(
    codexAuthJson({ accessToken: accessTokenJwt(inSeconds(120)), refreshToken, lastRefresh: anHourAgo() }),
  )
  await cs.setBehaviour({ acceptRefreshTokens: [refreshToken] })
}

test(`Codex ${CODEX_VERSION} sends the access token authkeep wrote, then adopts the one authkeep refreshed`, async () => {
  const cs = await codexSandbox()
  try {
    const login = cs.authkeep(['login', '--profile', 'codex', '--method', 'device'])
    await approveWhenAsked(cs)
    const l = await login
    assert.equal(l.code, 0, l.stderr)
    const first = (await cs.readAuth()).tokens
    const r1 = await cs.codex()
    assert.equal(r1.code, 0, r1.stderr)
    assert.match(r1.stdout, /pong from the fake/)
    assert.deepEqual(modelBearers(r1.requests), [`Bearer ${first.access_token}`])
    assert.equal(tokenRequests(r1.requests).length, 0, 'Codex found the token fresh')

    const f = await cs.authkeep(['refresh', '--profile', 'codex', '--force'])
    assert.equal(f.code, 0, f.stderr)
    const refreshed = (await cs.readAuth()).tokens
    assert.notEqual(refreshed.access_token, first.access_token)
    assert.equal(refreshed.account_id, first.account_id)
    const r2 = await cs.codex()
    assert.equal(r2.code, 0, r2.stderr)
    assert.deepEqual(modelBearers(r2.requests), [`Bearer ${refreshed.access_token}`])
    assert.equal(tokenRequests(r2.requests).length, 0, 'Codex did not refresh what authkeep refreshed')
    assert.equal((await cs.readAuth()).tokens.refresh_token, refreshed.refresh_token)
  } finally {
    await cs.cleanup()
  }
})

test('authkeep adopts a token Codex refreshed itself, without a refresh of its own', async () => {
  const cs = await codexSandbox()
  try {
    await expiringLogin(cs, 'rt-codex-own')
    const c = await cs.codex()
    assert.equal(c.code, 0, c.stderr)
    assert.equal(tokenRequests(c.requests).length, 1, 'Codex refreshed the expiring token')
    const byCodex = (await cs.readAuth()).tokens
    const t = await cs.authkeep(['token', '--profile', 'codex'])
    assert.equal(t.code, 0, t.stderr)
    assert.equal(t.stdout.trim(), byCodex.access_token)
    assert.equal(tokenRequests(t.requests).length, 0)
  } finally {
    await cs.cleanup()
  }
})

test("authkeep waits for Codex's auth.json.lock and never refreshes while it is held", async () => {
  const cs = await codexSandbox()
  try {
    await expiringLogin(cs, 'rt-held')
    // Codex's own lock, held as Codex holds it around its write (flock(2) on auth.json.lock).
    const holder = spawn('flock', ['--exclusive', join(cs.codexHome, 'auth.json.lock'), 'cat'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    try {
      const refresh = cs.authkeep(['refresh', '--profile', 'codex'])
      // Long enough for a refresh that did not wait to have reached the server many times over.
      await new Promise((r) => setTimeout(r, 3_000))
      assert.equal(tokenRequests(await cs.requests()).length, 0, 'no refresh while Codex holds its lock')
      holder.stdin?.end()
      const r = await refresh
      assert.equal(r.code, 0, r.stderr)
      assert.equal(tokenRequests(await cs.requests()).length, 1)
    } finally {
      holder.kill()
    }
  } finally {
    await cs.cleanup()
  }
})

/**
 * Codex (run by `runCodex`) and `authkeep token` refreshing one due token at the same moment, twice: once
 * as they come, once with the server slow enough that both would be in flight together. Checks that the
 * one grant the server issued is what both use and the file holds, and that both keep working on it
 * without a new login or another refresh; returns each round's refresh requests.
 */
async function sameMoment(cs: CodexSandbox, runCodex: () => Promise<Run>): Promise<RecordedRequest[][]> {
  const rounds: RecordedRequest[][] = []
  for (const [round, tokenDelayMs] of [
    [1, 0],
    [2, 1_500],
  ] as const) {
    const rt = `rt-same-moment-${round}-${Math.random()}`
    await expiringLogin(cs, rt)
    await cs.setBehaviour({ acceptRefreshTokens: [rt], tokenDelayMs })
    const since = Date.now()
    const [a, c] = await Promise.all([cs.authkeep(['token', '--profile', 'codex']), runCodex()])
    assert.equal(a.code, 0, a.stderr)
    assert.equal(c.code, 0, c.stderr)
    const refreshes = tokenRequests(await cs.requests()).filter((q) => q.at >= since)
    const accepted = refreshes.filter((q) => q.status === 200)
    assert.equal(accepted.length, 1, JSON.stringify(refreshes))
    const kept = (await cs.readAuth()).tokens
    assert.equal(kept.access_token, accepted[0]?.issuedAccessToken)
    assert.equal(a.stdout.trim(), kept.access_token)
    assert.deepEqual(modelBearers(c.requests), [`Bearer ${kept.access_token}`])
    await cs.setBehaviour({})
    const c2 = await runCodex()
    assert.equal(c2.code, 0, c2.stderr)
    assert.deepEqual(modelBearers(c2.requests), [`Bearer ${kept.access_token}`])
    const a2 = await cs.authkeep(['token', '--profile', 'codex'])
    assert.equal(a2.stdout.trim(), kept.access_token)
    assert.equal(tokenRequests([...c2.requests, ...a2.requests]).length, 0)
    rounds.push(refreshes)
  }
  return rounds
}

test('Codex run by authkeep exec and authkeep refreshing at the same moment: exactly one refresh reaches the server, both keep working', async () => {
  const cs = await codexSandbox()
  try {
    for (const refreshes of await sameMoment(cs, () => cs.codexThroughAuthkeep())) {
      assert.equal(refreshes.length, 1, JSON.stringify(refreshes))
    }
  } finally {
    await cs.cleanup()
  }
})

test('Codex run by authkeep exec asks authkeep for its refresh: the server sees authkeep refresh once, Codex uses that token', async () => {
  const cs = await codexSandbox()
  try {
    await expiringLogin(cs, 'rt-asked')
    const since = Date.now()
    const c = await cs.codexThroughAuthkeep()
    assert.equal(c.code, 0, c.stderr)
    const refreshes = tokenRequests(await cs.requests()).filter((q) => q.at >= since)
    // The one refresh came from authkeep (openid-client), not from Codex, which would have sent its own.
    assert.equal(refreshes.length, 1, JSON.stringify(refreshes))
    assert.doesNotMatch(refreshes[0]?.userAgent ?? '', /codex/i)
    assert.equal(refreshes[0]?.refreshToken, 'rt-asked')
    const kept = (await cs.readAuth()).tokens
    assert.equal(kept.access_token, refreshes[0]?.issuedAccessToken)
    assert.deepEqual(modelBearers(c.requests), [`Bearer ${kept.access_token}`])
  } finally {
    await cs.cleanup()
  }
})

test('Codex run by itself and authkeep refreshing the same token at the same moment: one refresh is accepted, both keep working', async () => {
  const cs = await codexSandbox()
  try {
    // Codex sends its refresh before it takes any lock, so a second, refused request can reach the server.
    for (const [i, refreshes] of (await sameMoment(cs, () => cs.codex())).entries()) {
      console.log(`# same moment, round ${i + 1}: ${refreshes.length} refresh request(s), 1 accepted`)
    }
  } finally {
    await cs.cleanup()
  }
})

test('on a machine served by the token agent, Codex run by authkeep exec uses the agent login and asks the agent for its refresh; no refresh token there', async () => {
  const cs = await codexSandbox()
  try {
    // The laptop: a HOME of its own whose Codex login the agent serves, refreshing at the same fake.
    const laptop = join(cs.root, 'laptop')
    const laptopCodex = join(laptop, '.codex')
    await mkdir(laptopCodex, { recursive: true, mode: 0o700 })
    const laptopAuth = join(laptopCodex, 'auth.json')
    await writeFile(
      laptopAuth,
      JSON.stringify(
        // Inside Codex's 5 minutes, not yet due for authkeep (a quarter of its 260 s life): the agent hands
        // it out as it is, and Codex, finding it due, asks for a refresh at once.
        codexAuthJson({
          accessToken: accessTokenJwt(inSeconds(250)),
          refreshToken: 'rt-laptop',
          lastRefresh: new Date(Date.now() - 10_000).toISOString(),
        }),
      ),
      { mode: 0o600 },
    )
    await writeCodexConfig(join(laptop, '.authkeep'), cs.url)
    const laptopEnv = {
      ...cs.authkeepEnv,
      HOME: laptop,
      CODEX_HOME: laptopCodex,
      AUTHKEEP_HOME: join(laptop, '.authkeep'),
    }
    await cs.setBehaviour({ acceptRefreshTokens: ['rt-laptop'] })
    const agent = cs.spawnAuthkeep(
      ['agent', '--profile', 'codex', '--socket', join(cs.root, 'agent', 'agent.sock')],
      laptopEnv,
    )
    let socket: string | undefined
    for (let i = 0; i < 200 && !socket; i++) {
      await new Promise((r) => setTimeout(r, 100))
      socket = /^export AUTHKEEP_AGENT_SOCK=(\S+)$/m.exec(agent.stderrSoFar())?.[1]
    }
    assert.ok(socket, `the agent did not start:\n${agent.stderrSoFar()}`)
    const since = Date.now()
    const c = await cs.codexThroughAuthkeep('say pong', { AUTHKEEP_AGENT_SOCK: socket })
    assert.equal(c.code, 0, c.stderr)
    assert.match(c.stdout, /pong from the fake/)
    // Codex's refresh went to the agent, which refreshed once with the laptop's refresh token.
    const refreshes = tokenRequests(await cs.requests()).filter((q) => q.at >= since)
    assert.deepEqual(
      refreshes.map((q) => [q.status, q.refreshToken]),
      [[200, 'rt-laptop']],
    )
    assert.doesNotMatch(refreshes[0]?.userAgent ?? '', /codex/i, 'the agent refreshed, not Codex')
    const onLaptop = JSON.parse(await readFile(laptopAuth, 'utf8')).tokens
    assert.equal(onLaptop.access_token, refreshes[0]?.issuedAccessToken)
    assert.deepEqual(modelBearers(c.requests), [`Bearer ${onLaptop.access_token}`])
    // Here: the agent's access token for Codex, and no refresh token of the login's, in any file.
    const here = (await cs.readAuth()).tokens
    assert.equal(here.access_token, onLaptop.access_token)
    assert.equal(here.refresh_token, 'authkeep-agent-relay')
    for (const f of await filesUnder(cs.home)) {
      const text = await readFile(f, 'utf8').catch(() => '')
      assert.ok(!text.includes(onLaptop.refresh_token) && !text.includes('rt-laptop'), f)
    }
    // A login of this machine's own is never replaced by the agent's.
    const own = codexAuthJson({ accessToken: accessTokenJwt(inSeconds(3600)), refreshToken: 'rt-own-here' })
    await cs.writeAuth(own)
    const refused = await cs.codexThroughAuthkeep('say pong', { AUTHKEEP_AGENT_SOCK: socket })
    assert.equal(refused.code, 2, refused.stderr)
    assert.match(
      refused.stderr,
      /auth\.json holds this machine's own Codex login; the agent's would replace it; run: authkeep logout --profile codex/,
    )
    assert.deepEqual(await cs.readAuth(), own)
  } finally {
    await cs.cleanup()
  }
})
