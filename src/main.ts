import { realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { isSea } from 'node:sea'
import { buildProgram } from './cli/program.js'
import type { Deps } from './deps.js'
import { AuthkeepError, ExitCode } from './errors.js'
import { setHttpTimeoutSeconds } from './oauth/httpTimeout.js'
import { systemBrowser } from './ports/browser.js'
import { systemRunChild } from './ports/child.js'
import { systemClock } from './ports/clock.js'
import { readEnvironment } from './ports/environment.js'
import { type Interrupts, processInterrupts } from './ports/interrupts.js'
import type { Io } from './ports/io.js'
import { stdinPrompter } from './ports/prompter.js'
import { resolvePaths } from './profiles/paths.js'
import { keepLastGood } from './stores/backups.js'
import { claudeConfigDir, createClaudeCodeStore } from './stores/claudeCodeStore.js'
import { createCredentialStore } from './stores/credentialStore.js'
import { fileSystemError } from './stores/fileSystemError.js'
import { hostFingerprint } from './stores/hostId.js'
import { systemKeyring } from './stores/keyring.js'
import { createKeyStore } from './stores/keyStore.js'

declare const AUTHKEEP_VERSION: string

/** The composition root: the only place that touches process streams, the real clock and the exit code. */
function buildDeps(io: Io, interrupts: Interrupts): Deps {
  const env = process.env
  const home = homedir()
  const paths = resolvePaths(env, home)
  // Hashing the machine id serves only what writes or compares a record: done on first use.
  let hostId: string | undefined
  const host = () => {
    hostId ??= hostFingerprint()
    return hostId
  }
  let keyring: ReturnType<typeof systemKeyring> | undefined
  const getKeyring = () => {
    keyring ??= systemKeyring()
    return keyring
  }
  const authkeepStore = createCredentialStore(paths, getKeyring)
  const lockSeconds = Number(env.AUTHKEEP_LOCK_TIMEOUT)
  const httpSeconds = Number(env.AUTHKEEP_HTTP_TIMEOUT)
  if (Number.isFinite(httpSeconds) && httpSeconds > 0) setHttpTimeoutSeconds(httpSeconds)
  return {
    io,
    clock: systemClock,
    env: readEnvironment(env, io.stdinIsTTY && io.stderrIsTTY),
    processEnv: env,
    paths,
    browser: systemBrowser(env),
    prompter: stdinPrompter(io),
    storeFor: (profile) =>
      profile.kind === 'claude-code'
        ? createClaudeCodeStore({
            configDir: claudeConfigDir(profile, env, home),
            host: host(),
            onWritten: (file, content) => keepLastGood(paths, profile.name, file, content, new Date()),
          })
        : authkeepStore,
    keys: createKeyStore(paths, getKeyring),
    runChild: systemRunChild,
    // The single executable is its own program; argv[1] there is only the name it was started by.
    self: isSea() ? [process.execPath] : [process.execPath, realpathSync(process.argv[1] ?? '')],
    get host() {
      return host()
    },
    home,
    uid: process.getuid?.() ?? -1,
    lockTimeoutMs: Number.isFinite(lockSeconds) && lockSeconds > 0 ? lockSeconds * 1000 : 30_000,
    interrupts,
  }
}

function processIo(): Io {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    stdin: process.stdin,
    stdinIsTTY: process.stdin.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
  }
}

function report(io: Io, thrown: unknown): ExitCode {
  // A lock or directory that cannot be created on a full or read-only disk: named, not "unexpected".
  const err = fileSystemError(thrown, (thrown as NodeJS.ErrnoException)?.path)
  if (err instanceof AuthkeepError) {
    io.err(`authkeep: ${err.message}${err.next ? `; run: ${err.next}` : ''}\n`)
    return err.exitCode
  }
  const e = err as { code?: string; exitCode?: number }
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) {
    // commander has already printed its message and, for --help/--version, its output.
    return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage
  }
  const detail = process.env.AUTHKEEP_DEBUG
    ? `\n${(err as Error)?.stack}`
    : ' (set AUTHKEEP_DEBUG=1 for details)'
  io.err(`authkeep: unexpected error: ${(err as Error)?.message ?? String(err)}${detail}\n`)
  return ExitCode.error
}

/**
 * Node's fetch ignores HTTPS_PROXY; where only a proxy gets out, Claude Code would refresh and authkeep
 * could not. undici's agent honours HTTPS_PROXY/HTTP_PROXY/NO_PROXY and is what fetch dispatches through.
 * Loaded only when a proxy is configured, so the common path pays nothing.
 */
async function useProxyFromEnv(env: NodeJS.ProcessEnv): Promise<void> {
  const names = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']
  if (!names.some((n) => env[n])) return
  const { EnvHttpProxyAgent, setGlobalDispatcher } = await import('undici')
  setGlobalDispatcher(new EnvHttpProxyAgent())
}

async function main(argv: string[]): Promise<number> {
  const io = processIo()
  await useProxyFromEnv(process.env)
  let deps: Deps | undefined
  let code: number = ExitCode.ok
  const interrupts = processInterrupts(process, io.err)
  const program = buildProgram(async (load, opts) => {
    deps ??= buildDeps(io, interrupts)
    const run = await load()
    code = await run(deps, opts)
  }, AUTHKEEP_VERSION)
  program.configureOutput({ writeErr: (s) => io.err(s), writeOut: (s) => io.out(s) })
  // Every level, so a usage error in `profile add` exits 2 like one in `login`, through report().
  const overrideAll = (cmd: typeof program): void => {
    cmd.exitOverride()
    for (const sub of cmd.commands) overrideAll(sub)
  }
  overrideAll(program)
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    code = report(io, err)
  }
  // A daemon or agent stopped by a signal may still be saving a refresh another request started.
  await interrupts.settled()
  return code
}

main(process.argv.slice(2)).then((code) => {
  // Exit explicitly: idle keep-alive sockets from fetch would otherwise hold the process open for seconds.
  process.stdout.write('', () => process.exit(code))
})
