import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { AuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'

export const BIN = resolve(import.meta.dirname, '../../bin/authkeep.cjs')

export interface Result {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** A scratch HOME and AUTHKEEP_HOME, and an environment built from nothing: no CI, SSH or DISPLAY leaks in. */
export interface Sandbox {
  dir: string
  env: Record<string, string>
  recordFile(profile: string): string
  readRecord(profile: string): Promise<Record<string, unknown>>
  cleanup(): Promise<void>
}

/** What sandbox(t) needs of a test's context: somewhere to register its cleanup. */
interface Cleanups {
  after(fn: () => Promise<void>): void
}

/**
 * sandbox(t) removes itself when the test ends, pass or fail; sandbox() leaves that to its caller
 * (`cleanup()`), for scripts that are no tests (the bench).
 */
export async function sandbox(
  t?: Cleanups | Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<Sandbox> {
  const owner = typeof t?.after === 'function' ? (t as Cleanups) : undefined
  const sb = await scratch(owner ? extraEnv : { ...(t as Record<string, string> | undefined), ...extraEnv })
  owner?.after(sb.cleanup)
  return sb
}

async function scratch(extraEnv: Record<string, string>): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'authkeep-e2e-'))
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    AUTHKEEP_HOME: join(dir, 'authkeep'),
    LANG: 'C.UTF-8',
    ...extraEnv,
  }
  const recordFile = (profile: string) =>
    join(env.AUTHKEEP_HOME as string, 'state', 'credentials', `${profile}.json`)
  return {
    dir,
    env,
    recordFile,
    readRecord: async (profile) => JSON.parse(await readFile(recordFile(profile), 'utf8')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}

export type Cli = ChildProcess & { output: Promise<Result>; stderrSoFar(): string }

/**
 * Every run is bounded: a CLI still running after `timeoutMs` is killed, and its result says so.
 * `command` is how authkeep is started: node and bin/, or e.g. the single executable.
 */
export function spawnCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  command: string[] = [process.execPath, BIN],
): Cli {
  const [file, ...lead] = command as [string, ...string[]]
  const child = spawn(file, [...lead, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  // A command done before it read its stdin (`token` served by the fast path) closes the pipe: EPIPE
  // on our side is no failure of the command, whose exit code and output tell what happened.
  child.stdin?.on('error', () => {})
  let stdout = ''
  let stderr = ''
  const timer = setTimeout(() => {
    stderr += `\n[harness] killed after ${timeoutMs} ms\n`
    child.kill('SIGKILL')
  }, timeoutMs)
  child.stdout?.on('data', (d) => {
    stdout += d
  })
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  const output = new Promise<Result>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    }),
  )
  return Object.assign(child, { output, stderrSoFar: () => stderr })
}

export async function runCli(args: string[], env: Record<string, string>, input?: string): Promise<Result> {
  const child = spawnCli(args, env)
  child.stdin?.end(input ?? '')
  return child.output
}

/** The child's result, SIGKILLed `ms` from now unless it finished first. */
export async function killAfter(child: Cli, ms: number): Promise<Result> {
  await Promise.race([new Promise((r) => setTimeout(r, ms)), child.output])
  child.kill('SIGKILL')
  return child.output
}

/** What a kill campaign counts, per area. */
export interface KillTally {
  trials: number
  failures: number
  lost: number
  leaked: number
  killedMidway: number
  errors: string[]
}

/**
 * Fails unless no trial failed, lost a login or leaked a secret, and enough kills landed mid-run; then
 * prints the area's CAMPAIGN line (the format scripts/campaign.mjs collects).
 */
export function assertCampaign(area: string, tally: KillTally): void {
  assert.deepEqual(
    { failures: tally.failures, lost: tally.lost, leaked: tally.leaked },
    { failures: 0, lost: 0, leaked: 0 },
    tally.errors.join('\n'),
  )
  // A handful of bounded trials on a busy machine may all finish first; a campaign must mostly land mid-run.
  const needed = tally.trials >= 40 ? tally.trials / 3 : 1
  assert.ok(tally.killedMidway >= needed, `kills land mid-run (${tally.killedMidway}/${tally.trials})`)
  console.log(
    `CAMPAIGN ${area} trials=${tally.trials} failures=${tally.failures} lost=${tally.lost} leaked=${tally.leaked}`,
  )
}

/** Resolves with the first match of `re` in all the child's stderr so far, within a bounded time. */
export function waitForStderr(child: Cli, re: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = child.stderrSoFar().match(re)
      if (!m) return
      clearTimeout(timer)
      child.stderr?.off('data', check)
      resolve(m)
    }
    const fail = (why: string) => {
      clearTimeout(timer)
      child.stderr?.off('data', check)
      reject(new Error(`no ${re} on stderr ${why}; got:\n${child.stderrSoFar()}`))
    }
    const timer = setTimeout(() => fail(`within ${timeoutMs} ms`), timeoutMs)
    child.once('close', () => fail('before the process ended'))
    // Listeners run in order, so the accumulating one in spawnCli has seen each chunk first.
    child.stderr?.on('data', check)
    check()
  })
}

/** Adds a profile for the test server; the store defaults to the file so no keyring is needed. */
export async function addProfile(
  server: AuthServer,
  env: Record<string, string>,
  name = 'test',
  store: 'file' | 'auto' = 'file',
): Promise<void> {
  const r = await runCli(
    [
      'profile',
      'add',
      name,
      '--issuer',
      server.issuer,
      '--client-id',
      server.clientId,
      '--scope',
      'openid offline_access',
      '--store',
      store,
    ],
    env,
  )
  if (r.code !== 0) throw new Error(`profile add failed (${r.code}): ${r.stderr}`)
}

export const DEVICE_LINK = /carries the code: (\S+)/
export const AUTHORIZE_URL = /^ {2}(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)$/m

/** Runs a device login, handing the printed link to `approve` (the person, in a browser or over HTTP). */
export async function deviceLogin(
  env: Record<string, string>,
  approve: (url: string) => Promise<unknown>,
  profile = 'test',
): Promise<Result> {
  const child = spawnCli(['login', '--profile', profile, '--method', 'device'], env)
  child.stdin?.end()
  const [, link] = await waitForStderr(child, DEVICE_LINK)
  await approve(link as string)
  return child.output
}

/** Every value that must never be shown: the tokens in the record file. */
export async function secretsOf(sb: Sandbox, profile = 'test'): Promise<string[]> {
  const r = await sb.readRecord(profile)
  return ['access_token', 'refresh_token', 'id_token']
    .map((k) => r[k])
    .filter((v): v is string => typeof v === 'string')
}

export function assertNoSecrets(texts: string[], secrets: string[]): void {
  for (const s of secrets) {
    for (const t of texts) {
      if (t.includes(s)) throw new Error(`a secret (${s.slice(0, 6)}…) was printed:\n${t}`)
    }
  }
}

/** A port that was free a moment ago: for --port, or as a port nothing listens on. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/** A sandbox whose claude-code profile points at the local server; Claude's files live in CLAUDE_CONFIG_DIR. */
export async function claudeSandbox(server: AuthServer): Promise<
  Sandbox & {
    configDir: string
    credentials: string
    /** Writes Claude Code's credential file (0600, in a 0700 config dir) as Claude would. */
    writeCredentials(json: unknown): Promise<void>
  }
> {
  const sb = await sandbox()
  const dir = join(sb.dir, 'claude')
  const credentials = join(dir, '.credentials.json')
  sb.env.CLAUDE_CONFIG_DIR = dir
  await pointClaudeProfileAt(server, sb.env.AUTHKEEP_HOME as string)
  const writeCredentials = async (json: unknown) => {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writeFile(credentials, JSON.stringify(json), { mode: 0o600 })
  }
  return Object.assign(sb, { configDir: dir, credentials, writeCredentials })
}

/** What a test server for the claude-code profile must offer: OpenID for oidc-provider, Claude's for Claude. */
export const CLAUDE_TEST_SCOPES = ['openid', 'offline_access', 'user:inference', 'user:profile']

/**
 * Claude Code's `.credentials.json` as its login leaves it: a Pro login with Claude's own scopes, valid for
 * 8 hours. `oauth` gives the tokens and overrides the rest (undefined drops a field); `extra` sits beside.
 */
export function claudeCredentialsFile(
  oauth: { accessToken: string; refreshToken: string; [field: string]: unknown },
  extra: Record<string, unknown> = {},
) {
  const { accessToken, refreshToken, ...rest } = oauth
  return {
    claudeAiOauth: {
      // In the order Claude writes them: a test may cut the file short.
      accessToken,
      refreshToken,
      expiresAt: Date.now() + 8 * 3_600_000,
      scopes: CLAUDE_TEST_SCOPES.filter((s) => s.startsWith('user:')),
      subscriptionType: 'pro',
      ...rest,
    },
    ...extra,
  }
}

/** Overrides the built-in claude-code profile's OAuth settings so it talks to the local server. */
export async function pointClaudeProfileAt(server: AuthServer, authkeepHome: string): Promise<void> {
  await mkdir(authkeepHome, { recursive: true })
  const override = {
    authorization_endpoint: server.endpoints.authorization,
    token_endpoint: server.endpoints.token,
    client_id: server.clientId,
    // Claude Code ignores a stored login without user:inference; the server must grant it (CLAUDE_SCOPES).
    scope: CLAUDE_TEST_SCOPES.join(' '),
    refresh_scope: CLAUDE_TEST_SCOPES.join(' '),
    paste_redirect_uri: 'http://127.0.0.1/callback',
    // oidc-provider issues codes for OpenID requests; Claude's `user:inference` means nothing to it.
    long_lived_scope: 'openid',
  }
  await writeFile(
    join(authkeepHome, 'config.json'),
    JSON.stringify({ version: 1, profiles: { 'claude-code': override } }),
  )
}

/** `login --method paste` for claude-code, answered with code#state as Claude's page shows it. */
export async function pasteLoginClaude(env: Record<string, string>, command = ['login']): Promise<string> {
  const child = spawnCli([...command, '--profile', 'claude-code', '--method', 'paste'], env)
  const [, url] = await waitForStderr(child, AUTHORIZE_URL)
  const authorize = new URL(url as string)
  assert.equal(authorize.searchParams.get('code'), 'true', "Claude's code=true parameter is sent")
  const { redirectedTo } = await approveWithHttp(url as string)
  const params = new URL(redirectedTo as string).searchParams
  child.stdin?.end(`${params.get('code')}#${params.get('state')}\n`)
  const r = await child.output
  assert.equal(r.code, 0, r.stderr)
  return r.stderr
}
