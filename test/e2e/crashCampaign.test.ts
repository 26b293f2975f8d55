// SIGKILLs authkeep at random points of login completion, logout, reset and `doctor --fix` (refresh has
// its own file, refreshCrash.test.ts), then checks what a person would find: every file whole, the old
// or the new login (never torn, never gone from both the credential and the backups), and a `token`
// that works or says why. `AUTHKEEP_CAMPAIGN_TRIALS` (per area) scales it up for `npm run campaign`.
import assert from 'node:assert/strict'
import { chmod, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import {
  AUTHORIZE_URL,
  assertCampaign,
  CLAUDE_TEST_SCOPES,
  type Cli,
  claudeSandbox,
  killAfter,
  type Result,
  runCli,
  type Sandbox,
  spawnCli,
  waitForStderr,
} from './harness.js'

const TRIALS = Number(process.env.AUTHKEEP_CAMPAIGN_TRIALS ?? 8)
// Lanes are independent sandboxes. A kill inside the lock costs the lane the 10 s stale period (as it
// would cost a user), so a long campaign spreads over more lanes; they mostly wait, not compute.
const LANES = TRIALS >= 100 ? 8 : 2
const PROFILE = ['--profile', 'claude-code']
const LOGIN_NEXT = /; run: authkeep login --profile claude-code\n?$/
// doctor's onboarding check looks at CLAUDE_CODE_OAUTH_TOKEN: a secret of the person, never to be shown.
const ENV_TOKEN = 'sk-ant-oat01-CRASHCAMPAIGNENVTOKEN-hhhhhhhhhhhhhhhhhhhhhhhhhh'

type ClaudeSandbox = Sandbox & { configDir: string; credentials: string }
interface Pair {
  access: string
  refresh: string
}
interface Tally {
  trials: number
  failures: number
  lost: number
  leaked: number
  killedMidway: number
  relogins: number
  /** Where the kills left the login: the old one, a new one, or cleared (kept in a backup). */
  outcomes: Record<'old' | 'new' | 'cleared', number>
  errors: string[]
}

const isDir = async (p: string) => (await stat(p).catch(() => undefined))?.isDirectory() ?? false

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const out: string[] = []
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory()) {
      // A lock is a directory with nothing of ours in it.
      if (!e.name.endsWith('.lock')) out.push(...(await filesUnder(p)))
    } else out.push(p)
  }
  return out
}

function pairOf(json: unknown): Pair | undefined {
  const o = (json as { claudeAiOauth?: { accessToken?: unknown; refreshToken?: unknown } })?.claudeAiOauth
  if (typeof o?.refreshToken !== 'string' || o.refreshToken === '') return undefined
  return { access: String(o.accessToken ?? ''), refresh: o.refreshToken }
}

interface Scan {
  current: Pair | undefined
  /** Every pair held by a backup (authkeep's backups and last-good copy). */
  backedUp: Pair[]
}

/**
 * Parses every record and backup: authkeep's state tree, Claude's credential file, the sidecar and the
 * .authkeep-bak copies. A temp file a kill left behind is not a record (nothing reads it) and is skipped.
 */
async function scan(sb: ClaudeSandbox): Promise<Scan> {
  const files = [
    ...(await filesUnder(join(sb.env.AUTHKEEP_HOME as string, 'state'))),
    ...(await readdir(sb.configDir).catch(() => [])).map((n) => join(sb.configDir, n)),
  ]
  const backedUp: Pair[] = []
  let current: Pair | undefined
  for (const file of files) {
    if (/\.tmp\.[0-9a-f]+$/.test(file) || (await isDir(file))) continue
    const text = await readFile(file, 'utf8')
    let json: Record<string, unknown>
    try {
      json = JSON.parse(text)
    } catch {
      throw new Error(`torn file ${file}: ${text.length} bytes that do not parse`)
    }
    if (file === sb.credentials) current = pairOf(json)
    if (json.kind === 'authkeep-backup') {
      const inner = pairOf(JSON.parse(String(json.content)))
      if (inner) backedUp.push(inner)
    }
  }
  return { current, backedUp }
}

/** A paste login for claude-code approved over HTTP; returns the running CLI once code#state is typed. */
async function startPasteLogin(env: Record<string, string>, command: string[]): Promise<Cli> {
  const child = spawnCli([...command, ...PROFILE, '--method', 'paste'], env)
  const [, url] = await waitForStderr(child, AUTHORIZE_URL)
  const { redirectedTo } = await approveWithHttp(url as string)
  const params = new URL(redirectedTo as string).searchParams
  child.stdin?.end(`${params.get('code')}#${params.get('state')}\n`)
  return child
}

async function relogin(sb: ClaudeSandbox): Promise<void> {
  const r = await (await startPasteLogin(sb.env, ['login'])).output
  assert.equal(r.code, 0, `re-login failed: ${r.stderr}`)
}

interface Area {
  name: string
  /** What the server does to widen the window in which a kill lands mid-write. */
  fault?: { path?: string; ms: number }
  revocation?: boolean
  /** Brings the sandbox to the state the trial starts from (a login exists; for doctor, its findings). */
  prepare(sb: ClaudeSandbox): Promise<void>
  /** Starts the command and kills it at a random point within about `window` ms; returns its output. */
  trial(sb: ClaudeSandbox, window: number): Promise<Result>
  /** The same command run to its end: how long it takes, so kill points spread over its whole life. */
  whole(sb: ClaudeSandbox): Promise<number>
  /** Whether a credential must still be in Claude's file (doctor never removes or replaces one). */
  keepsLogin?: boolean
}

const timed = async (f: () => Promise<Result>) => {
  const t0 = Date.now()
  const r = await f()
  assert.equal(r.code === 0 || r.code === 7 || r.code === 8, true, r.stderr)
  return Date.now() - t0
}

const loginArea: Area = {
  name: 'login',
  fault: { ms: 150 },
  prepare: async () => {},
  async trial(sb, window) {
    return killAfter(await startPasteLogin(sb.env, ['login']), Math.random() * window)
  },
  whole: async (sb) => {
    const child = await startPasteLogin(sb.env, ['login'])
    return timed(() => child.output)
  },
}

const logoutArea: Area = {
  name: 'logout',
  fault: { path: '/token/revocation', ms: 150 },
  revocation: true,
  prepare: async () => {},
  trial: (sb, window) => killAfter(spawnCli(['logout', ...PROFILE], sb.env), Math.random() * window),
  whole: async (sb) => {
    const ms = await timed(() => runCli(['logout', ...PROFILE], sb.env))
    await relogin(sb)
    return ms
  },
}

const resetArea: Area = {
  name: 'reset',
  fault: { ms: 150 },
  revocation: true,
  prepare: async () => {},
  async trial(sb, window) {
    // Half the kills land in the backup/revoke/clear part, half in the new login's exchange and write.
    if (Math.random() < 0.5) {
      const child = spawnCli(['reset', ...PROFILE, '--method', 'paste'], sb.env)
      return killAfter(child, Math.random() * window)
    }
    return killAfter(await startPasteLogin(sb.env, ['reset']), Math.random() * window)
  },
  whole: async (sb) => {
    const t0 = Date.now()
    const child = await startPasteLogin(sb.env, ['reset'])
    await timed(() => child.output)
    return Date.now() - t0
  },
}

const doctorEnv = (sb: ClaudeSandbox) => ({ ...sb.env, CLAUDE_CODE_OAUTH_TOKEN: ENV_TOKEN })

const doctorArea: Area = {
  name: 'doctor-fix',
  keepsLogin: true,
  // Every safe fix has work to do: a 0644 file with scopes as a string, two stale locks, no onboarding flag.
  async prepare(sb) {
    const file = JSON.parse(await readFile(sb.credentials, 'utf8'))
    file.claudeAiOauth.scopes = CLAUDE_TEST_SCOPES.join(' ')
    await writeFile(sb.credentials, JSON.stringify(file))
    await chmod(sb.credentials, 0o644)
    const old = new Date(Date.now() - 60_000)
    for (const lock of [join(sb.configDir, '.oauth_refresh.lock'), `${sb.configDir}.lock`]) {
      await mkdir(lock, { recursive: true })
      await utimes(lock, old, old)
    }
    await writeFile(join(sb.configDir, '.claude.json'), JSON.stringify({ theme: 'dark', userID: 'u1' }))
  },
  trial: (sb, window) =>
    killAfter(spawnCli(['doctor', '--fix', ...PROFILE], doctorEnv(sb)), Math.random() * window),
  whole: async (sb) => {
    await doctorArea.prepare(sb)
    return timed(() => runCli(['doctor', '--fix', ...PROFILE], doctorEnv(sb)))
  },
}

/** Everything a trial's commands printed, minus what `token` prints on stdout (its job). */
function leakedIn(texts: string[], secrets: Set<string>): boolean {
  return [...secrets].some((s) => s.length > 8 && texts.some((t) => t.includes(s)))
}

async function checkAfterKill(
  sb: ClaudeSandbox,
  area: Area,
  old: Pair,
  killed: Result,
  server: AuthServer,
  tally: Tally,
): Promise<void> {
  const { current, backedUp } = await scan(sb) // throws on a torn file
  const isOld = current?.refresh === old.refresh
  tally.outcomes[current ? (isOld ? 'old' : 'new') : 'cleared']++
  if (current && isOld)
    assert.equal(current.access, old.access, 'an old refresh token keeps its access token')
  if (current && !isOld) assert.notEqual(current.access, old.access, 'a new login brings a new access token')
  if (area.keepsLogin) assert.ok(isOld, 'doctor --fix never replaces or removes the login')
  // The old login may be replaced or cleared, never without a copy: lost when neither place holds it.
  const kept = isOld || backedUp.some((p) => p.refresh === old.refresh)
  if (!kept) tally.lost++

  const next = await runCli(['token', ...PROFILE], sb.env)
  const secrets = new Set([old.access, old.refresh, ENV_TOKEN])
  for (const p of [current, ...backedUp]) if (p) for (const s of [p.access, p.refresh]) secrets.add(s)
  if (next.code === 0) secrets.add(next.stdout.trim())
  if (leakedIn([killed.stdout, killed.stderr, next.stderr], secrets)) tally.leaked++

  if (next.code === 0) {
    const seen = await server.userinfo(next.stdout.trim())
    assert.equal(seen.status, 200, `token printed a token the server refuses (status ${seen.status})`)
    return
  }
  assert.equal(next.code, 4, `token exits 0 or 4 after a kill: ${next.stderr}`)
  assert.match(next.stderr, LOGIN_NEXT)
  assert.equal(next.stderr.trim().split('\n').length, 1, 'one line says why')
  await relogin(sb)
  tally.relogins++
}

async function lane(server: AuthServer, area: Area, trials: number, tally: Tally): Promise<void> {
  const sb = await claudeSandbox(server)
  try {
    if (area.revocation) {
      const config = join(sb.env.AUTHKEEP_HOME as string, 'config.json')
      const json = JSON.parse(await readFile(config, 'utf8'))
      json.profiles['claude-code'].revocation_endpoint = server.endpoints.revocation
      await writeFile(config, JSON.stringify(json))
    }
    await relogin(sb)
    // Measured once, while every lane starts at the same time; runs that end before their kill shrink it.
    let window = (await area.whole(sb)) * 1.2
    for (let trial = 0; trial < trials; trial++) {
      tally.trials++
      try {
        const before = (await scan(sb)).current
        if (!before) await relogin(sb)
        await area.prepare(sb)
        const old = (await scan(sb)).current as Pair
        const started = Date.now()
        const killed = await area.trial(sb, window)
        if (killed.signal === 'SIGKILL') tally.killedMidway++
        else window = Math.min(window, (Date.now() - started) * 1.1)
        await checkAfterKill(sb, area, old, killed, server, tally)
      } catch (err) {
        tally.failures++
        if (tally.errors.length < 5)
          tally.errors.push(`${area.name} trial ${trial}: ${(err as Error).message}`)
        // A broken sandbox is not the next trial's fault: start it over from a fresh login.
        await relogin(sb).catch(() => {})
      }
    }
  } finally {
    await sb.cleanup()
  }
}

const AREAS = [loginArea, logoutArea, resetArea, doctorArea]

describe('SIGKILL at random points never tears or loses a login', { concurrency: true }, () => {
  const servers = new Map<string, AuthServer>()
  before(async () => {
    for (const area of AREAS) {
      // One server per area, with access tokens that outlive the run so `token` rarely needs the lock.
      const server = await startAuthServer({
        jsonTokenRequests: true,
        scopes: CLAUDE_TEST_SCOPES,
        ttl: { accessToken: 3600 },
      })
      if (area.fault)
        server.injectFault({ fault: { kind: 'delay', ms: area.fault.ms }, path: area.fault.path })
      servers.set(area.name, server)
    }
  })
  after(async () => {
    for (const s of servers.values()) await s.close()
  })

  for (const area of AREAS) {
    test(`${area.name}: ${TRIALS} kills`, async () => {
      const server = servers.get(area.name) as AuthServer
      const tally: Tally = {
        trials: 0,
        failures: 0,
        lost: 0,
        leaked: 0,
        killedMidway: 0,
        relogins: 0,
        outcomes: { old: 0, new: 0, cleared: 0 },
        errors: [],
      }
      const t0 = Date.now()
      const per = Math.ceil(TRIALS / LANES)
      await Promise.all(Array.from({ length: LANES }, () => lane(server, area, per, tally)))
      const seconds = (Date.now() - t0) / 1000
      console.log(
        `# ${area.name}: ${tally.trials} trials in ${seconds.toFixed(1)} s (${((seconds * 1000 * LANES) / tally.trials).toFixed(0)} ms per trial per lane), ${tally.killedMidway} killed mid-run, ${tally.relogins} re-logins, left ${JSON.stringify(tally.outcomes)}`,
      )
      assertCampaign(area.name, tally)
    })
  }
})
