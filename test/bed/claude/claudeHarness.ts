// Runs the real Claude Code CLI as a client, offline, so a test can assert exactly which credential
// it sends and what it does to its credential file. Each sandbox is a scratch HOME and config dir,
// a loopback-only network namespace, and a fake API that is that namespace's first process.
// See /work/shared/context/claude-code-client-facts.md for the behaviour this is built on.
import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { FakeApiBehaviour, RecordedRequest } from './fakeApi.js'
import { nsenterArgv, requireNetnsTools, unshareArgv } from './netns.js'
import { MITM_HOSTS } from './oauthReplies.js'
import { makeThrowawayCa } from './throwawayCa.js'

export { type ClaudeLockPaths, claudeLockPaths, type HeldClaudeLock, holdClaudeLock } from './claudeLock.js'
export type { FakeApiBehaviour, RecordedRequest } from './fakeApi.js'

export const CLAUDE_VERSION = '2.1.197'
// The package's postinstall hard-links the platform binary over bin/claude.exe; .bin/claude points there.
export const CLAUDE_BIN = resolve(import.meta.dirname, '../../../node_modules/.bin/claude')

const FAKE_API_MAIN = resolve(import.meta.dirname, 'fakeApiMain.ts')
const DEFAULT_RUN_TIMEOUT_MS = 60_000
const START_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 5_000

export interface ClaudeRun {
  code: number // -1 when killed by a signal
  signal: NodeJS.Signals | null
  timedOut: boolean
  ms: number
  stdout: string
  stderr: string
  requests: RecordedRequest[] // recorded while this run was going; overlapping runs see each other's
}

export interface RunOptions {
  timeoutMs?: number
  input?: string
  // Replaces the clean base environment instead of adding to it (HOME etc. must then be given).
  bareEnv?: boolean
  // Runs this instead of claude (e.g. `authkeep exec -- claude`), with the same environment and namespace.
  command?: string[]
}

export interface ClaudeSandbox {
  root: string
  home: string
  configDir: string
  projectDir: string // cwd of every run, trusted in .claude.json
  claudeJson: string
  credentialsFile: string
  apiUrl: string // ANTHROPIC_BASE_URL, valid inside the namespace only
  netnsPid: number
  baseEnv: Record<string, string>
  writeCredentials(json: unknown): Promise<void>
  readCredentials(): Promise<unknown>
  writeSettings(json: unknown): Promise<void>
  approveApiKey(key: string): Promise<void>
  setApiBehaviour(behaviour: FakeApiBehaviour): Promise<void>
  requests(): Promise<RecordedRequest[]>
  run(args?: string[], env?: Record<string, string>, opts?: RunOptions): Promise<ClaudeRun>
  execInNetns(command: string[], timeoutMs?: number): Promise<ClaudeRun>
  cleanup(): Promise<void>
}

export interface SandboxOptions {
  // Relative to the sandbox HOME, or absolute. Default: <home>/.claude.
  configDir?: string
  // false: leave CLAUDE_CONFIG_DIR unset, as on a plain install; configDir must then be <home>/.claude
  // and .claude.json lives at <home>/.claude.json.
  setConfigDirEnv?: boolean
}

/** Fails loudly when the binary is missing or still the placeholder the postinstall replaces. */
export function requireClaudeBin(): string {
  try {
    accessSync(CLAUDE_BIN, constants.X_OK)
    if (statSync(CLAUDE_BIN).size > 1_000_000) return CLAUDE_BIN
  } catch {}
  throw new Error(
    `${CLAUDE_BIN} is missing or not the real binary; run: npm install (its postinstall links bin/claude.exe)`,
  )
}

/** Requests that reached the Messages API: the ones that carry the credential used for inference. */
export function inferenceRequests(requests: RecordedRequest[]): RecordedRequest[] {
  return requests.filter((r) => r.method === 'POST' && /^\/v1\/messages(\?|$)/.test(r.path))
}

export function tokenRequests(requests: RecordedRequest[]): RecordedRequest[] {
  return requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/oauth/token'))
}

function parseLog(text: string): RecordedRequest[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RecordedRequest)
}

async function readLogFrom(file: string, offset: number): Promise<RecordedRequest[]> {
  const buf = await readFile(file)
  return parseLog(buf.subarray(offset).toString('utf8'))
}

async function writeJsonAtomic(file: string, json: unknown, mode = 0o600): Promise<void> {
  const tmp = `${file}.harness-tmp`
  await writeFile(tmp, `${JSON.stringify(json, null, 2)}\n`, { mode })
  await rename(tmp, file)
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      done(true)
    })
  })
}

// Runs argv to completion in its own process group, so a timeout also kills whatever it spawned
// (an apiKeyHelper, a shell).
export function runBounded(
  argv: string[],
  spawnOpts: { env: Record<string, string>; cwd: string },
  opts: { timeoutMs: number; input?: string; track: Set<ChildProcess> },
): Promise<Omit<ClaudeRun, 'requests'>> {
  const [file, ...args] = argv as [string, ...string[]]
  const started = Date.now()
  const child = spawn(file, args, { ...spawnOpts, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
  opts.track.add(child)
  let stdout = ''
  let stderr = ''
  let timedOut = false
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
  })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  // A `-p` run reads a piped stdin as part of the prompt; an ended one is empty.
  child.stdin?.on('error', () => {})
  child.stdin?.end(opts.input ?? '')
  const timer = setTimeout(() => {
    timedOut = true
    killGroup(child)
  }, opts.timeoutMs)
  return new Promise((done, fail) => {
    child.once('error', (err) => {
      clearTimeout(timer)
      opts.track.delete(child)
      fail(err)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      opts.track.delete(child)
      if (timedOut) stderr += `\n[harness] killed after ${opts.timeoutMs} ms\n`
      done({ code: code ?? -1, signal, timedOut, ms: Date.now() - started, stdout, stderr })
    })
  })
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    child.kill(signal)
  }
}

// Starts the fake API as the first process of a new namespace and waits for its port.
export async function startAnchor(
  argv: string[],
): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const [file, ...args] = argv as [string, ...string[]]
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`fake API did not start in ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    )
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
      const line = stdout.split('\n').find((l) => l.startsWith('{"port":'))
      if (!line) return
      clearTimeout(timer)
      done((JSON.parse(line) as { port: number }).port)
    })
    child.once('error', (err) => {
      clearTimeout(timer)
      fail(err)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      fail(new Error(`fake API exited (${code}) before listening:\n${stderr}`))
    })
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL')
    await waitForExit(child, STOP_TIMEOUT_MS)
    throw err
  })
  return { child, port, stderr: () => stderr }
}

export async function claudeSandbox(opts: SandboxOptions = {}): Promise<ClaudeSandbox> {
  const tools = requireNetnsTools()
  const bin = requireClaudeBin()
  // Real path: the trust entry in .claude.json is keyed by the cwd Claude sees.
  const root = await realpath(await mkdtemp(join(tmpdir(), 'authkeep-claude-')))
  const running = new Set<ChildProcess>()
  let anchor: ChildProcess | undefined
  try {
    const home = join(root, 'home')
    const configDir = resolve(home, opts.configDir ?? '.claude')
    const setConfigDirEnv = opts.setConfigDirEnv ?? true
    if (!setConfigDirEnv && configDir !== join(home, '.claude')) {
      throw new Error('claudeSandbox: without CLAUDE_CONFIG_DIR the config dir is <home>/.claude')
    }
    const projectDir = join(root, 'project')
    const caDir = join(root, 'ca')
    await mkdir(home, { recursive: true, mode: 0o700 })
    await mkdir(configDir, { recursive: true, mode: 0o700 })
    await mkdir(projectDir, { recursive: true })
    await mkdir(caDir, { mode: 0o700 })

    // With CLAUDE_CONFIG_DIR set, .claude.json lives inside it; otherwise next to ~/.claude.
    const claudeJson = setConfigDirEnv ? join(configDir, '.claude.json') : join(home, '.claude.json')
    await writeJsonAtomic(claudeJson, {
      hasCompletedOnboarding: true,
      theme: 'dark',
      projects: { [projectDir]: { hasTrustDialogAccepted: true } },
    })

    const ca = await makeThrowawayCa(caDir, MITM_HOSTS)
    const logFile = join(root, 'api-requests.jsonl')
    const behaviourFile = join(root, 'api-behaviour.json')
    await writeFile(logFile, '')
    const tsx = import.meta.resolve('tsx')
    const mainOpts = { logFile, behaviourFile, tlsKeyFile: ca.keyFile, tlsCertFile: ca.certFile }
    const started = await startAnchor(
      unshareArgv(tools, [process.execPath, '--import', tsx, FAKE_API_MAIN, JSON.stringify(mainOpts)]),
    )
    anchor = started.child
    const netnsPid = anchor.pid as number
    const apiUrl = `http://127.0.0.1:${started.port}`

    const baseEnv: Record<string, string> = {
      HOME: home,
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      ANTHROPIC_BASE_URL: apiUrl,
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      // The OAuth hosts are hard-coded; the proxy is the only road to the fake token endpoint.
      HTTPS_PROXY: apiUrl,
      NO_PROXY: '127.0.0.1,localhost',
      NODE_EXTRA_CA_CERTS: ca.caCertFile,
      ...(setConfigDirEnv ? { CLAUDE_CONFIG_DIR: configDir } : {}),
    }
    const credentialsFile = join(configDir, '.credentials.json')
    const anchorChild = anchor

    const sandbox: ClaudeSandbox = {
      root,
      home,
      configDir,
      projectDir,
      claudeJson,
      credentialsFile,
      apiUrl,
      netnsPid,
      baseEnv,
      async writeCredentials(json) {
        await writeFile(credentialsFile, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 })
        await chmod(credentialsFile, 0o600)
      },
      async readCredentials() {
        return JSON.parse(await readFile(credentialsFile, 'utf8'))
      },
      async writeSettings(json) {
        await writeJsonAtomic(join(configDir, 'settings.json'), json)
      },
      // Interactive mode asks before using ANTHROPIC_API_KEY; it remembers the answer by the key's tail.
      async approveApiKey(key) {
        const current = JSON.parse(await readFile(claudeJson, 'utf8')) as Record<string, unknown>
        const responses = (current.customApiKeyResponses ?? { approved: [], rejected: [] }) as {
          approved: string[]
          rejected: string[]
        }
        responses.approved = [...new Set([...responses.approved, key.slice(-20)])]
        await writeJsonAtomic(claudeJson, { ...current, customApiKeyResponses: responses })
      },
      async setApiBehaviour(behaviour) {
        await writeJsonAtomic(behaviourFile, behaviour, 0o644)
      },
      async requests() {
        return readLogFrom(logFile, 0)
      },
      async run(args = ['-p', 'ping'], env = {}, runOpts = {}) {
        if (anchorChild.exitCode !== null || anchorChild.signalCode !== null) {
          throw new Error(`the fake API (namespace anchor) is gone:\n${started.stderr()}`)
        }
        const offset = (await stat(logFile)).size
        const result = await runBounded(
          nsenterArgv(tools, netnsPid, [...(runOpts.command ?? [bin]), ...args]),
          { env: runOpts.bareEnv ? env : { ...baseEnv, ...env }, cwd: projectDir },
          { timeoutMs: runOpts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS, input: runOpts.input, track: running },
        )
        return { ...result, requests: await readLogFrom(logFile, offset) }
      },
      async execInNetns(command, timeoutMs = 10_000) {
        const result = await runBounded(
          nsenterArgv(tools, netnsPid, command),
          { env: { PATH: baseEnv.PATH as string }, cwd: projectDir },
          { timeoutMs, track: running },
        )
        return { ...result, requests: [] }
      },
      async cleanup() {
        await stopAndRemove(running, anchorChild, root)
      },
    }
    return sandbox
  } catch (err) {
    await stopAndRemove(running, anchor, root)
    throw err
  }
}

/** Stops everything a bed started, then removes its directory. */
export async function stopAndRemove(
  running: Set<ChildProcess>,
  anchor: ChildProcess | undefined,
  root: string,
): Promise<void> {
  await stopAll(running, anchor)
  await rm(root, { recursive: true, force: true })
}

async function stopAll(running: Set<ChildProcess>, anchor: ChildProcess | undefined): Promise<void> {
  for (const child of running) killGroup(child)
  await Promise.all([...running].map((c) => waitForExit(c, STOP_TIMEOUT_MS)))
  if (!anchor) return
  anchor.kill('SIGTERM')
  if (!(await waitForExit(anchor, STOP_TIMEOUT_MS))) {
    anchor.kill('SIGKILL')
    await waitForExit(anchor, STOP_TIMEOUT_MS)
  }
}
