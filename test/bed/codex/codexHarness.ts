// Runs the real Codex CLI as a client, offline, so a test can assert exactly which access token it
// sends and what it does to its auth.json. Each sandbox is a scratch HOME and CODEX_HOME, a loopback-only
// network namespace, and the fake OpenAI server as that namespace's first process. authkeep runs in the
// same namespace (`authkeep()`), so both refresh at the one fake token endpoint.
import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runBounded, startAnchor, stopAndRemove } from '../claude/claudeHarness.js'
import { nsenterArgv, requireNetnsTools, unshareArgv } from '../claude/netns.js'
import { type FakeOpenAiBehaviour, type RecordedRequest, writeCodexConfig } from './fakeOpenAi.js'

export type { FakeOpenAiBehaviour, RecordedRequest } from './fakeOpenAi.js'

export const CODEX_VERSION = '0.171.0'
// The launcher (bin/codex.js) picks the platform package's static musl binary.
export const CODEX_BIN = resolve(import.meta.dirname, '../../../node_modules/.bin/codex')
const AUTHKEEP = resolve(import.meta.dirname, '../../../bin/authkeep.cjs')
const FAKE_MAIN = resolve(import.meta.dirname, 'fakeOpenAiMain.ts')

export interface Run {
  code: number
  stdout: string
  stderr: string
  timedOut: boolean
  requests: RecordedRequest[]
}

export interface CodexSandbox {
  root: string
  home: string
  codexHome: string
  authFile: string
  url: string
  /** authkeep's environment: the same HOME and CODEX_HOME Codex runs with. */
  authkeepEnv: Record<string, string>
  writeAuth(json: unknown): Promise<void>
  readAuth(): Promise<{ tokens: Record<string, string>; last_refresh: string; [k: string]: unknown }>
  setBehaviour(b: FakeOpenAiBehaviour): Promise<void>
  requests(): Promise<RecordedRequest[]>
  /** `codex exec` with a local model provider that needs the ChatGPT login, and the refresh URL override. */
  codex(prompt?: string, env?: Record<string, string>): Promise<Run>
  /** The same `codex exec`, run by `authkeep exec --profile codex`, which answers its refreshes. */
  codexThroughAuthkeep(prompt?: string, env?: Record<string, string>): Promise<Run>
  /** A long-running authkeep inside the namespace (the token agent), stopped by cleanup(). */
  spawnAuthkeep(args: string[], env: Record<string, string>): { stderrSoFar(): string }
  /** The built authkeep, inside the namespace. */
  authkeep(args: string[], env?: Record<string, string>, input?: string): Promise<Run>
  /** Any command inside the namespace, with authkeep's environment. */
  run(argv: string[]): Promise<Run>
  cleanup(): Promise<void>
}

/** Fails loudly when the binary is missing (npm ci installs it as a devDependency). */
export function requireCodexBin(): string {
  try {
    accessSync(CODEX_BIN, constants.X_OK)
    if (statSync(CODEX_BIN).isFile()) return CODEX_BIN
  } catch {}
  throw new Error(`${CODEX_BIN} is missing; run: npm ci (it installs @openai/codex ${CODEX_VERSION})`)
}

export function tokenRequests(requests: RecordedRequest[]): RecordedRequest[] {
  return requests.filter((r) => r.method === 'POST' && r.path === '/oauth/token')
}

/** The bearer tokens Codex sent to the model: the credential it used. */
export function modelBearers(requests: RecordedRequest[]): string[] {
  return [
    ...new Set(
      requests
        .filter((r) => r.method === 'POST' && r.path.startsWith('/v1/responses'))
        .map((r) => r.authorization ?? ''),
    ),
  ]
}

async function readLog(file: string, offset = 0): Promise<RecordedRequest[]> {
  const text = (await readFile(file)).subarray(offset).toString('utf8')
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RecordedRequest)
}

/** `codex exec` with a local model provider that needs the ChatGPT login. */
const codexExec = (bin: string, url: string, prompt: string) => [
  bin,
  'exec',
  '--skip-git-repo-check',
  '-c',
  `chatgpt_base_url="${url}/backend-api/"`,
  '-c',
  'model_provider="fake"',
  '-c',
  `model_providers.fake={name="fake",base_url="${url}/v1",requires_openai_auth=true,wire_api="responses"}`,
  prompt,
]

export async function codexSandbox(): Promise<CodexSandbox> {
  const tools = requireNetnsTools()
  const bin = requireCodexBin()
  const root = await realpath(await mkdtemp(join(tmpdir(), 'authkeep-codex-')))
  const running = new Set<ChildProcess>()
  let anchor: ChildProcess | undefined
  try {
    const home = join(root, 'home')
    const codexHome = join(home, '.codex')
    const projectDir = join(root, 'project')
    await mkdir(codexHome, { recursive: true, mode: 0o700 })
    await mkdir(projectDir, { recursive: true })
    const logFile = join(root, 'requests.jsonl')
    const behaviourFile = join(root, 'behaviour.json')
    await writeFile(logFile, '')
    const tsx = import.meta.resolve('tsx')
    const started = await startAnchor(
      unshareArgv(tools, [
        process.execPath,
        '--import',
        tsx,
        FAKE_MAIN,
        JSON.stringify({ logFile, behaviourFile }),
      ]),
    )
    anchor = started.child
    const pid = anchor.pid as number
    const url = `http://127.0.0.1:${started.port}`
    const authkeepHome = join(root, 'authkeep')
    // The built-in codex profile, pointed at the fake; everything else (client id, JSON refresh, margin) as shipped.
    await writeCodexConfig(authkeepHome, url, { revocation_endpoint: `${url}/oauth/revoke` })
    const base = {
      HOME: home,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      CODEX_HOME: codexHome,
      LANG: 'C.UTF-8',
    }
    const authkeepEnv = { ...base, AUTHKEEP_HOME: authkeepHome }
    const authFile = join(codexHome, 'auth.json')
    const anchorChild = anchor
    const run = async (argv: string[], env: Record<string, string>, input?: string, timeoutMs = 90_000) => {
      if (anchorChild.exitCode !== null) throw new Error(`the fake server is gone:\n${started.stderr()}`)
      const offset = (await stat(logFile)).size
      const r = await runBounded(
        nsenterArgv(tools, pid, argv),
        { env, cwd: projectDir },
        {
          timeoutMs,
          input,
          track: running,
        },
      )
      return {
        code: r.code,
        stdout: r.stdout,
        stderr: r.stderr,
        timedOut: r.timedOut,
        requests: await readLog(logFile, offset),
      }
    }
    return {
      root,
      home,
      codexHome,
      authFile,
      url,
      authkeepEnv,
      async writeAuth(json) {
        const tmp = `${authFile}.test-tmp`
        await writeFile(tmp, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 })
        await chmod(tmp, 0o600)
        await rename(tmp, authFile)
      },
      readAuth: async () => JSON.parse(await readFile(authFile, 'utf8')),
      async setBehaviour(b) {
        await writeFile(behaviourFile, JSON.stringify(b))
      },
      requests: () => readLog(logFile),
      codex(prompt = 'say pong', env = {}) {
        return run(codexExec(bin, url, prompt), {
          ...base,
          CODEX_REFRESH_TOKEN_URL_OVERRIDE: `${url}/oauth/token`,
          ...env,
        })
      },
      codexThroughAuthkeep(prompt = 'say pong', env = {}) {
        return run(
          [process.execPath, AUTHKEEP, 'exec', '--profile', 'codex', '--', ...codexExec(bin, url, prompt)],
          { ...authkeepEnv, ...env },
        )
      },
      spawnAuthkeep(args, env) {
        const [file, ...rest] = nsenterArgv(tools, pid, [process.execPath, AUTHKEEP, ...args]) as [
          string,
          ...string[],
        ]
        const child = spawn(file, rest, {
          env,
          cwd: projectDir,
          detached: true,
          stdio: ['ignore', 'ignore', 'pipe'],
        })
        running.add(child)
        child.on('exit', () => running.delete(child))
        let stderr = ''
        child.stderr?.on('data', (d: Buffer) => {
          stderr += d.toString('utf8')
        })
        return { stderrSoFar: () => stderr }
      },
      authkeep(args, env = {}, input) {
        return run([process.execPath, AUTHKEEP, ...args], { ...authkeepEnv, ...env }, input)
      },
      run: (argv) => run(argv, authkeepEnv),
      async cleanup() {
        await stopAndRemove(running, anchorChild, root)
      },
    }
  } catch (err) {
    await stopAndRemove(running, anchor, root)
    throw err
  }
}
