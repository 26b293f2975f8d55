// SIGKILL at random points of the gemini and copilot built-ins' writes (Gemini: refresh, login
// completion, logout; Copilot: logout, restore), then what a person would find: each CLI's file whole,
// the old or the new login (never torn, never gone from both the file and the backups), Copilot's
// other logins and keys always kept, and a `token` that works or says why. AUTHKEEP_CAMPAIGN_TRIALS
// (per area) scales it up for `npm run campaign`, as crashCampaign.test.ts does for claude-code.
import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { splitComments } from '../../src/stores/copilotStore.js'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import {
  AUTHORIZE_URL,
  assertCampaign,
  type Cli,
  type KillTally,
  killAfter,
  type Result,
  runCli,
  type Sandbox,
  sandbox,
  spawnCli,
  waitForStderr,
} from './harness.js'

const TRIALS = Number(process.env.AUTHKEEP_CAMPAIGN_TRIALS ?? 6)
const GEMINI_CLIENT_ID = '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com'
const GEMINI_SECRET = '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'
const GH = 'https://github.com'
const OTHER = { 'https://ghe.example:mona': { token: 'gho_CRASHOTHERHOSTTOKEN-kept' } }

/** Every file below `dir` that is not a temp file a kill left behind. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const out: string[] = []
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory()) {
      if (!e.name.endsWith('.lock')) out.push(...(await filesUnder(p)))
    } else if (!/\.tmp\.[0-9a-f]+$/.test(e.name)) out.push(p)
  }
  return out
}

/** Every backup's content (parsed by `parse`); a torn backup throws. */
async function backedUp<T>(sb: Sandbox, parse: (content: string) => T | undefined): Promise<T[]> {
  const out: T[] = []
  for (const f of await filesUnder(join(sb.env.AUTHKEEP_HOME as string, 'state'))) {
    const json = JSON.parse(await readFile(f, 'utf8'))
    if (json.kind !== 'authkeep-backup') continue
    const inner = parse(String(json.content))
    if (inner !== undefined) out.push(inner)
  }
  return out
}

// ---- gemini ----

const geminiFile = (sb: Sandbox) => join(sb.env.HOME as string, '.gemini', 'oauth_creds.json')
const refreshOf = (text: string) => {
  const t = (JSON.parse(text) as { refresh_token?: unknown }).refresh_token
  return typeof t === 'string' ? t : undefined
}

async function geminiSandbox(server: AuthServer): Promise<Sandbox> {
  const sb = await sandbox()
  await mkdir(sb.env.AUTHKEEP_HOME as string, { recursive: true })
  const e = server.endpoints
  const gemini = {
    issuer: server.issuer,
    authorization_endpoint: e.authorization,
    token_endpoint: e.token,
    revocation_endpoint: e.revocation,
    scope: 'openid offline_access',
    paste_redirect_uri: 'http://127.0.0.1/callback',
  }
  await writeFile(
    join(sb.env.AUTHKEEP_HOME as string, 'config.json'),
    JSON.stringify({ version: 1, profiles: { gemini } }),
  )
  return sb
}

async function startGeminiLogin(env: Record<string, string>): Promise<Cli> {
  const child = spawnCli(['login', '--profile', 'gemini', '--method', 'paste'], env)
  const [, url] = await waitForStderr(child, AUTHORIZE_URL)
  const { redirectedTo } = await approveWithHttp(url as string)
  child.stdin?.end(`${new URL(redirectedTo as string).searchParams.get('code')}\n`)
  return child
}

async function geminiLogin(sb: Sandbox): Promise<void> {
  const r = await (await startGeminiLogin(sb.env)).output
  assert.equal(r.code, 0, r.stderr)
}

type GeminiTrial = (sb: Sandbox, window: number) => Promise<Result>
const GEMINI_AREAS: Record<string, GeminiTrial> = {
  refresh: (sb, w) =>
    killAfter(spawnCli(['refresh', '--force', '--profile', 'gemini'], sb.env), Math.random() * w),
  login: async (sb, w) => killAfter(await startGeminiLogin(sb.env), Math.random() * w),
  logout: (sb, w) => killAfter(spawnCli(['logout', '--profile', 'gemini'], sb.env), Math.random() * w),
}

async function geminiTrials(
  server: AuthServer,
  name: string,
  trial: GeminiTrial,
  tally: KillTally,
): Promise<void> {
  const sb = await geminiSandbox(server)
  try {
    await geminiLogin(sb)
    // Runs that end before their kill shrink the window, so kills land mid-run on a fast machine too.
    let window = 600
    for (let n = 0; n < TRIALS; n++) {
      tally.trials++
      try {
        if (!(await stat(geminiFile(sb)).catch(() => undefined))) await geminiLogin(sb)
        const oldText = await readFile(geminiFile(sb), 'utf8')
        const old = refreshOf(oldText) as string
        const started = Date.now()
        const killed = await trial(sb, window)
        if (killed.signal === 'SIGKILL') tally.killedMidway++
        else window = Math.min(window, (Date.now() - started) * 1.1)
        const text = await readFile(geminiFile(sb), 'utf8').catch(() => undefined)
        const current = text === undefined ? undefined : refreshOf(text) // throws on a torn file
        const kept = current === old || (await backedUp(sb, refreshOf)).includes(old)
        if (!kept) tally.lost++
        if ([killed.stdout, killed.stderr].some((t) => t.includes(old))) tally.leaked++
        const next = await runCli(['token', '--profile', 'gemini'], sb.env)
        if (next.code === 0) {
          assert.equal((await server.userinfo(next.stdout.trim())).status, 200)
        } else {
          assert.equal(next.code, 4, `${name}: token exits 0 or 4 after a kill: ${next.stderr}`)
          await geminiLogin(sb)
        }
      } catch (err) {
        tally.failures++
        if (tally.errors.length < 5) tally.errors.push(`gemini ${name} trial ${n}: ${(err as Error).message}`)
        await geminiLogin(sb).catch(() => {})
      }
    }
  } finally {
    await sb.cleanup()
  }
}

// ---- copilot ----

const copilotFile = (sb: Sandbox) => join(sb.env.HOME as string, '.copilot', 'config.json')
const HEADER = '// User settings belong in settings.json.\n// This file is managed automatically.\n'
const tokenIn = (text: string) => {
  const json = JSON.parse(splitComments(text).json) as { authTokens?: Record<string, { token?: string }> }
  return json.authTokens?.[`${GH}:octocat`]?.token
}

async function copilotLogin(sb: Sandbox, n: number): Promise<string> {
  const token = `gho_CRASHCOPILOTTOKEN${n}-abcdefghijklmnop`
  await mkdir(join(sb.env.HOME as string, '.copilot'), { recursive: true, mode: 0o700 })
  const json = {
    authTokens: { ...OTHER, [`${GH}:octocat`]: { token } },
    loggedInUsers: [{ host: GH, login: 'octocat', kind: 'githubDotCom' }],
    lastLoggedInUser: { host: GH, login: 'octocat' },
    banner: 'never',
  }
  await writeFile(copilotFile(sb), `${HEADER}${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 })
  return token
}

async function copilotTrials(tally: KillTally): Promise<void> {
  const sb = await sandbox()
  // As for Gemini: runs that end before their kill shrink the window.
  let window = 400
  try {
    for (let n = 0; n < TRIALS; n++) {
      tally.trials++
      try {
        const old = await copilotLogin(sb, n)
        // Half the kills land in logout, half in putting its backup back.
        const started = Date.now()
        let killed = await killAfter(
          spawnCli(['logout', '--profile', 'copilot'], sb.env),
          Math.random() * window,
        )
        if (killed.signal !== 'SIGKILL') window = Math.min(window, (Date.now() - started) * 1.1)
        if (Math.random() < 0.5 && killed.code === 0) {
          const list = JSON.parse(
            (await runCli(['backups', '--profile', 'copilot', '--json'], sb.env)).stdout,
          )
          const id = (list.backups as Array<{ id: string; reason: string }>).find(
            (b) => b.reason === 'logout',
          )?.id
          if (id) killed = await killAfter(spawnCli(['restore', id], sb.env), Math.random() * window)
        }
        if (killed.signal === 'SIGKILL') tally.killedMidway++
        const text = await readFile(copilotFile(sb), 'utf8')
        assert.ok(text.startsWith(HEADER), 'the comment lines are kept')
        const json = JSON.parse(splitComments(text).json) // throws on a torn file
        if (
          json.banner !== 'never' ||
          json.authTokens?.['https://ghe.example:mona']?.token !== OTHER['https://ghe.example:mona'].token
        )
          tally.lost++
        const current = tokenIn(text)
        if (current !== old && !(await backedUp(sb, tokenIn)).includes(old)) tally.lost++
        if ([killed.stdout, killed.stderr].some((t) => t.includes(old))) tally.leaked++
        const next = await runCli(['token', '--profile', 'copilot'], sb.env)
        if (current) assert.equal(next.stdout, `${current}\n`)
        else assert.equal(next.code, 4, next.stderr)
      } catch (err) {
        tally.failures++
        if (tally.errors.length < 5) tally.errors.push(`copilot trial ${n}: ${(err as Error).message}`)
      }
    }
  } finally {
    await sb.cleanup()
  }
}

const fresh = (): KillTally => ({ trials: 0, failures: 0, lost: 0, leaked: 0, killedMidway: 0, errors: [] })

describe("SIGKILL at random points never tears or loses Gemini's or Copilot's login", {
  concurrency: true,
}, () => {
  let server: AuthServer
  before(async () => {
    server = await startAuthServer({
      clientId: GEMINI_CLIENT_ID,
      // Google does not rotate these refresh tokens.
      rotateRefreshToken: false,
      ttl: { accessToken: 3600 },
      interop: { clientSecret: GEMINI_SECRET, authMethod: 'client_secret_post' },
    })
    server.injectFault({ fault: { kind: 'delay', ms: 150 } })
  })
  after(() => server?.close())

  for (const [name, trial] of Object.entries(GEMINI_AREAS)) {
    test(`gemini ${name}: ${TRIALS} kills`, async () => {
      const tally = fresh()
      await geminiTrials(server, name, trial, tally)
      assertCampaign(`gemini-${name}`, tally)
    })
  }

  test(`copilot logout and restore: ${TRIALS} kills`, async () => {
    const tally = fresh()
    await copilotTrials(tally)
    assertCampaign('copilot-logout', tally)
  })
})
