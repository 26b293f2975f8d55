// The crash campaign's `switch` area (issue 12): SIGKILLs `authkeep switch` at random points, then
// checks what a person would find. Every file parses; the next accounts command finishes or undoes the
// switch; each account's grant is then in exactly one place (the CLI's file for the active one, its
// slot for the other) and still refreshes at the server. `AUTHKEEP_CAMPAIGN_TRIALS` scales it up.
import assert from 'node:assert/strict'
import { readdir, readFile, watch } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import {
  CLAUDE_TEST_SCOPES,
  claudeCredentialsFile,
  claudeSandbox,
  pasteLoginClaude,
  runCli,
  spawnCli,
} from './harness.js'

const TRIALS = Number(process.env.AUTHKEEP_CAMPAIGN_TRIALS ?? 8)

let server: AuthServer
before(async () => {
  // Access tokens that outlive the campaign: no switch refreshes its incoming account first, so the
  // kills land on the moves (a kill during a refresh is refreshCrash.test.ts's area).
  server = await startAuthServer({
    jsonTokenRequests: true,
    ttl: { accessToken: 3600 },
    scopes: CLAUDE_TEST_SCOPES,
  })
})
after(() => server?.close())

type Sb = Awaited<ReturnType<typeof claudeSandbox>>
const UNRELATED = { mcpOAuth: { srv: { accessToken: 'mcp-kept' } } }

/** Every refresh token in Claude's file and the slots, by where it is; throws on a torn file. */
async function where(sb: Sb): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>()
  const add = (token: unknown, place: string) => {
    if (typeof token !== 'string' || token === '') return
    found.set(token, [...(found.get(token) ?? []), place])
  }
  const claude = JSON.parse(await readFile(sb.credentials, 'utf8'))
  assert.deepEqual(claude.mcpOAuth, UNRELATED.mcpOAuth, 'unrelated fields survive')
  add(claude.claudeAiOauth?.refreshToken, 'claude')
  const dir = join(sb.env.AUTHKEEP_HOME as string, 'state', 'credentials')
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.json')) continue
    add(JSON.parse(await readFile(join(dir, name), 'utf8')).refresh_token, name)
  }
  return found
}

/** Resolves as soon as the accounts file holds a switch's journal (bounded: 20 s). */
async function journalWritten(file: string): Promise<void> {
  const stop = new AbortController()
  const bound = setTimeout(() => stop.abort(), 20_000)
  try {
    for await (const _ of watch(dirname(file), { signal: stop.signal })) {
      const text = await readFile(file, 'utf8').catch(() => '')
      if (text.includes('"switching"')) return
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err
  } finally {
    clearTimeout(bound)
    stop.abort()
  }
}

test('switch: killed at any point, both accounts stay recoverable and one copy of each grant remains', async (t) => {
  const sb = await claudeSandbox(server)
  t.after(() => sb.cleanup())
  await sb.writeCredentials(
    claudeCredentialsFile({ accessToken: '', refreshToken: '', expiresAt: 0 }, UNRELATED),
  )
  await pasteLoginClaude(sb.env, ['account', 'add', 'a'])
  await pasteLoginClaude(sb.env, ['account', 'add', 'b'])
  assert.equal((await runCli(['switch', 'a'], sb.env)).code, 0)
  const t0 = Date.now()
  assert.equal((await runCli(['switch', 'b'], sb.env)).code, 0)
  const whole = Date.now() - t0
  const outcomes = { finished: 0, undone: 0, midway: 0 }
  const accountsFile = join(sb.env.AUTHKEEP_HOME as string, 'state', 'accounts', 'claude-code.json')
  for (let i = 0; i < TRIALS; i++) {
    const grants = await where(sb)
    const before = JSON.parse((await runCli(['account', 'list', '--json'], sb.env)).stdout).accounts
    const from = before.find((r: { active: boolean }) => r.active).account
    const to = from === 'a' ? 'b' : 'a'
    const child = spawnCli(['switch', to], sb.env)
    child.stdin?.end()
    // Most of a run is start-up, and the grants move within milliseconds: half the kills are aimed at
    // that moment, a few milliseconds after the switch wrote its journal.
    if (i % 2 === 0) await Promise.race([sleep(whole * Math.random()), child.output])
    else
      await Promise.race([journalWritten(accountsFile).then(() => sleep(Math.random() * 12)), child.output])
    child.kill('SIGKILL')
    await child.output
    if (JSON.parse(await readFile(accountsFile, 'utf8')).switching) outcomes.midway++
    {
      // The next accounts command settles the switch (after a stale lock's 10 s, when the kill held it);
      // so does keep-alive, before it refreshes any slot.
      if (i % 3 === 2) {
        const once = await runCli(['keepalive', 'run', '--once'], sb.env)
        assert.equal(once.code, 0, once.stderr)
        assert.equal(JSON.parse(await readFile(accountsFile, 'utf8')).switching, undefined)
      }
      const list = await runCli(['account', 'list', '--json'], sb.env)
      assert.equal(list.code, 0, list.stderr)
      const rows = JSON.parse(list.stdout).accounts as Array<{ account: string; active: boolean }>
      const active = rows.find((r) => r.active)?.account
      assert.ok(active === from || active === to, `an account is active: ${list.stdout}`)
      outcomes[active === to ? 'finished' : 'undone']++
      const after = await where(sb)
      assert.equal(after.size, 2, 'two grants, as before')
      for (const [token, places] of after) {
        assert.ok(grants.has(token), 'no grant appeared or changed')
        assert.equal(places.length, 1, `one copy of each grant: ${places}`)
      }
      const inClaude = [...after].find(([, p]) => p[0] === 'claude')
      assert.ok(inClaude, "the active account's grant is in Claude's file")
      assert.ok(
        [...after].some(([, p]) => p[0] === `claude-code@${active === 'a' ? 'b' : 'a'}.json`),
        "the other account's grant is in its slot",
      )
    }
  }
  // Every grant still refreshes at the server: none was spent or lost by the kills.
  for (const account of ['a', 'b']) {
    assert.equal((await runCli(['switch', account], sb.env)).code, 0)
    const r = await runCli(['refresh', '--force'], sb.env)
    assert.equal(r.code, 0, `${account}: ${r.stderr}`)
  }
  console.log(
    `CAMPAIGN switch trials=${TRIALS} failures=0 lost=0 leaked=0 finished=${outcomes.finished} undone=${outcomes.undone} killed_midway=${outcomes.midway}`,
  )
})
