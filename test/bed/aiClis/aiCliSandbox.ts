// Runs the real Gemini CLI and Copilot CLI as clients, offline: a scratch HOME, a loopback-only network
// namespace whose first process is the fake services, and every run (the CLI, or authkeep itself)
// inside that namespace, so a CLI that ignored a base URL would fail instead of going online.
import type { ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { mkdir, mkdtemp, readFile, realpath, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runBounded, startAnchor, stopAndRemove } from '../claude/claudeHarness.js'
import { nsenterArgv, requireNetnsTools, unshareArgv } from '../claude/netns.js'
import { makeThrowawayCa } from '../claude/throwawayCa.js'
import { GOOGLE_HOSTS, type RecordedRequest } from './fakeServices.js'

export {
  copilotAt,
  FAKE_GEMINI_REPLY,
  FAKE_GITHUB,
  GEMINI_OWN_REFRESH,
  type RecordedRequest,
} from './fakeServices.js'

const REPO = resolve(import.meta.dirname, '../../..')
export const GEMINI_BIN = join(REPO, 'node_modules/.bin/gemini')
export const COPILOT_BIN = join(REPO, 'node_modules/.bin/copilot')
/**
 * Copilot unpacks ~235 MB of itself on first run, by default into ~/.copilot/pkg; this gitignored cache
 * keeps that to once per checkout rather than once per test.
 */
export const COPILOT_PKG_CACHE = join(REPO, '.cache/copilot-pkg')
const AUTHKEEP = join(REPO, 'bin/authkeep.cjs')
const FAKE_MAIN = resolve(import.meta.dirname, 'fakeServicesMain.ts')

export function requireBin(bin: string): string {
  try {
    accessSync(bin, constants.X_OK)
    return bin
  } catch {
    throw new Error(`${bin} is missing; run: npm install (it is a devDependency)`)
  }
}

export interface Run {
  code: number
  timedOut: boolean
  stdout: string
  stderr: string
  requests: RecordedRequest[]
}

export interface AiCliSandbox {
  root: string
  home: string
  projectDir: string
  /** The fake services' origin, reachable inside the namespace only. */
  url: string
  /** HOME, PATH and AUTHKEEP_HOME: nothing of the real user's environment. */
  env: Record<string, string>
  /** The environment that sends Google's OAuth hosts (hard-coded in Gemini CLI) to the fake. */
  googleProxy: Record<string, string>
  /** Runs argv inside the namespace, in the project directory, with `env` added to the sandbox's. */
  run(argv: string[], env?: Record<string, string>, timeoutMs?: number): Promise<Run>
  /** `authkeep ARGS` inside the namespace. */
  authkeep(args: string[], env?: Record<string, string>, input?: string): Promise<Run>
  /** Sets the built-in profile's settings in authkeep's config.json (as a user's override would). */
  configure(profiles: Record<string, unknown>): Promise<void>
  cleanup(): Promise<void>
}

export async function aiCliSandbox(): Promise<AiCliSandbox> {
  const tools = requireNetnsTools()
  const root = await realpath(await mkdtemp(join(tmpdir(), 'authkeep-aicli-')))
  const running = new Set<ChildProcess>()
  let anchor: ChildProcess | undefined
  try {
    const home = join(root, 'home')
    const projectDir = join(root, 'project')
    await mkdir(home, { recursive: true, mode: 0o700 })
    await mkdir(projectDir, { recursive: true })
    const logFile = join(root, 'requests.jsonl')
    await writeFile(logFile, '')
    const caDir = join(root, 'ca')
    await mkdir(caDir, { mode: 0o700 })
    const ca = await makeThrowawayCa(caDir, GOOGLE_HOSTS)
    const mainOpts = { logFile, tlsKeyFile: ca.keyFile, tlsCertFile: ca.certFile }
    const tsx = import.meta.resolve('tsx')
    const started = await startAnchor(
      unshareArgv(tools, [process.execPath, '--import', tsx, FAKE_MAIN, JSON.stringify(mainOpts)]),
    )
    anchor = started.child
    const netnsPid = anchor.pid as number
    const url = `http://127.0.0.1:${started.port}`
    const env: Record<string, string> = {
      HOME: home,
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      AUTHKEEP_HOME: join(root, 'authkeep'),
      LANG: 'C.UTF-8',
    }
    const requestsSince = async (offset: number) =>
      (await readFile(logFile))
        .subarray(offset)
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as RecordedRequest)
    const run = async (
      argv: string[],
      extra: Record<string, string> = {},
      timeoutMs = 90_000,
      input = '',
    ) => {
      const offset = (await stat(logFile)).size
      const result = await runBounded(
        nsenterArgv(tools, netnsPid, argv),
        { env: { ...env, ...extra }, cwd: projectDir },
        { timeoutMs, input, track: running },
      )
      return { ...result, requests: await requestsSince(offset) }
    }
    const anchorChild = anchor
    return {
      root,
      home,
      projectDir,
      url,
      env,
      googleProxy: { HTTPS_PROXY: url, NO_PROXY: '127.0.0.1,localhost', NODE_EXTRA_CA_CERTS: ca.caCertFile },
      run: (argv, extra, timeoutMs) => run(argv, extra, timeoutMs),
      authkeep: (args, extra, input) => run([process.execPath, AUTHKEEP, ...args], extra, 60_000, input),
      async configure(profiles) {
        await mkdir(env.AUTHKEEP_HOME as string, { recursive: true })
        await writeFile(
          join(env.AUTHKEEP_HOME as string, 'config.json'),
          JSON.stringify({ version: 1, profiles }),
        )
      },
      async cleanup() {
        await stopAndRemove(running, anchorChild, root)
      },
    }
  } catch (err) {
    await stopAndRemove(running, anchor, root)
    throw err
  }
}
