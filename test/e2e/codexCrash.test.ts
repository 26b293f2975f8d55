// SIGKILLs `authkeep refresh --profile codex` at random points and checks what Codex would find next:
// auth.json whole and in Codex's shape with every field kept, the old login or the new one (never a new
// access token with an old refresh token), Codex's auth.json.lock never left held (a flock dies with its
// process, so the next refresh needs no stale period), and a refresh that works or says to log in.
// `AUTHKEEP_CODEX_CRASH_TRIALS` scales it up for `npm run campaign`.
import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { accessTokenJwt, codexAuthJson, type FakeOpenAi, startFakeOpenAi } from '../bed/codex/fakeOpenAi.js'
import { runCli, type Sandbox, sandbox, spawnCli } from './harness.js'

const TRIALS = Number(process.env.AUTHKEEP_CODEX_CRASH_TRIALS ?? 10)
const LANES = TRIALS > 100 ? 8 : 2

let fake: FakeOpenAi
let behaviour: string
const accepted: string[] = []
let bed: Sandbox
before(async () => {
  bed = await sandbox()
  behaviour = join(bed.dir, 'behaviour.json')
  await writeFile(join(bed.dir, 'log.jsonl'), '')
  fake = await startFakeOpenAi({ logFile: join(bed.dir, 'log.jsonl'), behaviourFile: behaviour })
})
after(async () => {
  await fake?.close()
  await bed?.cleanup()
})

/** A new hand-made login the fake accepts: what a person's `login` would give. */
let published = Promise.resolve()
/**
 * Writes the fake's behaviour with every token accepted so far. The lanes share the file: writes run
 * one after another, each with the list as it is then, renamed into place so no half file is read.
 */
function publish(): Promise<void> {
  published = published.then(async () => {
    const tmp = `${behaviour}.tmp`
    // The delay keeps each refresh in flight long enough for kills to land while the lock is held.
    await writeFile(tmp, JSON.stringify({ acceptRefreshTokens: accepted, tokenDelayMs: 150 }))
    await rename(tmp, behaviour)
  })
  return published
}

async function freshLogin(authFile: string, lane: number, n: number): Promise<void> {
  const rt = `rt-crash-${lane}-${n}-${Date.now()}`
  accepted.push(rt)
  await publish()
  const auth = {
    ...codexAuthJson({ accessToken: accessTokenJwt(Math.floor(Date.now() / 1000) + 3600), refreshToken: rt }),
    kept: { by: 'codex' },
  }
  await writeFile(authFile, JSON.stringify(auth, null, 2), { mode: 0o600 })
}

async function lane(id: number, trials: number) {
  const sb = await sandbox()
  const codexHome = join(sb.dir, 'codex')
  const authFile = join(codexHome, 'auth.json')
  sb.env.CODEX_HOME = codexHome
  await mkdir(codexHome, { recursive: true, mode: 0o700 })
  await mkdir(sb.env.AUTHKEEP_HOME as string, { recursive: true })
  const codex = { issuer: fake.url, token_endpoint: `${fake.url}/oauth/token` }
  await writeFile(
    join(sb.env.AUTHKEEP_HOME as string, 'config.json'),
    JSON.stringify({ version: 1, profiles: { codex } }),
  )
  const refresh = ['refresh', '--profile', 'codex', '--force']
  const result = { trials: 0, killedMidway: 0, relogins: 0, leaked: 0 }
  try {
    await freshLogin(authFile, id, 0)
    // The shortest of three whole refreshes: the first, with cold caches, runs long.
    let whole = Number.POSITIVE_INFINITY
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now()
      assert.equal((await runCli(refresh, sb.env)).code, 0)
      whole = Math.min(whole, Date.now() - t0)
    }
    for (let trial = 0; trial < trials; trial++) {
      const old = JSON.parse(await readFile(authFile, 'utf8'))
      const started = Date.now()
      const child = spawnCli(refresh, sb.env)
      let ended = 0
      child.once('exit', () => {
        ended = Date.now()
      })
      child.stdin?.end()
      await sleep(whole * (0.1 + 0.85 * Math.random()))
      child.kill('SIGKILL')
      const killed = await child.output
      result.trials++
      if (killed.signal !== null) result.killedMidway++
      else whole = Math.min(whole, ended - started)

      const now = JSON.parse(await readFile(authFile, 'utf8')) // throws if torn
      assert.equal(now.auth_mode, 'chatgpt')
      assert.deepEqual(now.kept, { by: 'codex' }, 'a field authkeep does not know survives')
      assert.equal(now.tokens.account_id, old.tokens.account_id)
      const isOld = now.tokens.refresh_token === old.tokens.refresh_token
      if (isOld)
        assert.equal(
          now.tokens.access_token,
          old.tokens.access_token,
          'never an old refresh token with a new access token',
        )

      // The next refresh must not wait out a lock: the killed process's flock died with it.
      const next = await runCli(refresh, { ...sb.env, AUTHKEEP_LOCK_TIMEOUT: '5' })
      const shown = [killed.stdout, killed.stderr, next.stdout, next.stderr]
      const secrets = [old.tokens.access_token, old.tokens.refresh_token, now.tokens.refresh_token]
      if (secrets.some((t: string) => shown.some((s) => s.includes(t)))) result.leaked++
      if (next.code === 4) {
        assert.ok(isOld, `login lost although the new grant was written: ${next.stderr}`)
        assert.match(next.stderr, /refresh_token_reused/)
        assert.match(next.stderr, /run: authkeep login --profile codex/)
        await freshLogin(authFile, id, trial + 1)
        result.relogins++
        continue
      }
      assert.equal(next.code, 0, next.stderr)
    }
    return result
  } finally {
    await sb.cleanup()
  }
}

test(`a Codex refresh SIGKILLed at random points (${TRIALS} times) leaves auth.json whole, its lock free, its login kept`, async () => {
  const per = Math.ceil(TRIALS / LANES)
  const results = await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i, per)))
  const sum = (k: 'trials' | 'killedMidway' | 'relogins' | 'leaked') => results.reduce((n, r) => n + r[k], 0)
  assert.ok(
    sum('killedMidway') >= (per * LANES) / 2,
    `most trials were killed mid-run (${sum('killedMidway')})`,
  )
  assert.ok(
    sum('relogins') <= (per * LANES) / 3,
    `a lost in-flight refresh stays the exception (${sum('relogins')})`,
  )
  assert.equal(sum('leaked'), 0, 'no token in any output')
  console.log(
    `# codex-refresh: ${sum('trials')} trials, ${sum('killedMidway')} killed mid-run, ${sum('relogins')} re-logins`,
  )
  console.log(`CAMPAIGN codex-refresh trials=${sum('trials')} failures=0 lost=0 leaked=${sum('leaked')}`)
})

/** Every backup's credential, and whether any file under `dir` fails to parse (a torn write). */
async function backedUpRefreshTokens(backups: string): Promise<string[]> {
  const names = await readdir(backups).catch(() => [] as string[])
  const found: string[] = []
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const backup = JSON.parse(await readFile(join(backups, name), 'utf8')) // throws if torn
    try {
      const rt = JSON.parse(backup.content)?.tokens?.refresh_token
      if (typeof rt === 'string') found.push(rt)
    } catch {}
  }
  return found
}

const LOGIN_TRIALS = Math.max(6, Math.round(TRIALS / 2))
test(`login --receive and logout for codex SIGKILLed at random points (${LOGIN_TRIALS} each): auth.json whole, the login never gone from both it and the backups`, async () => {
  const sb = await sandbox()
  const codexHome = join(sb.dir, 'codex')
  const authFile = join(codexHome, 'auth.json')
  const backups = join(sb.env.AUTHKEEP_HOME as string, 'state', 'backups', 'codex')
  sb.env.CODEX_HOME = codexHome
  await mkdir(codexHome, { recursive: true, mode: 0o700 })
  const login = (n: number) =>
    codexAuthJson({
      accessToken: accessTokenJwt(Math.floor(Date.now() / 1000) + 3600),
      refreshToken: `rt-receive-${n}`,
    })
  const receive = ['login', '--receive', '--profile', 'codex']
  let killedMidway = 0
  try {
    await writeFile(authFile, JSON.stringify({ ...login(0), kept: true }), { mode: 0o600 })
    // Kill points spread over the life of one whole receive, as measured here.
    let whole = Date.now()
    const first = await runCli(receive, sb.env, `-\n${JSON.stringify({ ...login(0), kept: true })}\n`)
    assert.equal(first.code, 0, first.stderr)
    whole = Date.now() - whole
    let changed = 0
    for (let trial = 1; trial <= LOGIN_TRIALS * 2; trial++) {
      const before = JSON.parse(await readFile(authFile, 'utf8')).tokens.refresh_token as string
      const isLogout = trial % 2 === 0
      const child = spawnCli(isLogout ? ['logout', '--profile', 'codex'] : receive, sb.env)
      child.stdin?.end(isLogout ? '' : `-\n${JSON.stringify(login(trial))}\n`)
      await Promise.race([sleep(whole * (0.2 + 1.3 * Math.random())), child.output])
      child.kill('SIGKILL')
      if ((await child.output).signal !== null) killedMidway++
      const text = await readFile(authFile, 'utf8').catch(() => undefined)
      const now = text === undefined ? undefined : JSON.parse(text) // throws if torn
      const current = now?.tokens?.refresh_token as string | undefined
      const kept = await backedUpRefreshTokens(backups)
      // The login that was there is either still in the file or in a backup.
      assert.ok(current === before || kept.includes(before), `trial ${trial}: ${before} is gone from both`)
      if (isLogout && now) assert.ok(current === before || now.tokens === undefined)
      if (!isLogout && current !== before) assert.equal(current, `rt-receive-${trial}`)
      if (current !== before) changed++
      if (now) assert.equal(now.kept, true, 'a field authkeep does not know survives')
      // Back to a login for the next trial, whatever the kill left.
      if (!now?.tokens)
        await writeFile(authFile, JSON.stringify({ ...login(trial), kept: true }), { mode: 0o600 })
    }
    assert.ok(
      killedMidway >= LOGIN_TRIALS / 2,
      `many trials were killed mid-run (${killedMidway} of ${LOGIN_TRIALS * 2})`,
    )
    assert.ok(changed > 0, 'some kills landed after the write: the trials cover both sides of it')
    console.log(
      `# codex-login-logout: ${LOGIN_TRIALS * 2} trials, ${killedMidway} killed, ${changed} after the write`,
    )
    console.log(`CAMPAIGN codex-login-logout trials=${LOGIN_TRIALS * 2} failures=0 lost=0 leaked=0`)
  } finally {
    await sb.cleanup()
  }
})
