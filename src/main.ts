import { realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { isSea } from 'node:sea'
import { buildProgram } from './cli/program.js'
import type { Deps } from './deps.js'
import { AuthkeepError, ExitCode } from './errors.js'
import { fileSystemError } from './files/fileSystemError.js'
import { setHttpTimeoutSeconds } from './oauth/httpTimeout.js'
import { systemBrowser } from './ports/browser.js'
import { systemRunChild } from './ports/child.js'
import { systemClock } from './ports/clock.js'
import { readEnvironment } from './ports/environment.js'
import { type Interrupts, processInterrupts } from './ports/interrupts.js'
import type { Io } from './ports/io.js'
import { stdinPrompter } from './ports/prompter.js'
import { printable } from './printable.js'
import { resolvePaths } from './profiles/paths.js'
import type { Profile } from './profiles/profile.js'
import { keepLastGood } from './stores/backups.js'
import { hostFingerprint } from './stores/hostId.js'
import { storeFor } from './stores/index.js'
import { systemKeyring } from './stores/keyring.js'
import { CLIENT_SECRET_SLOT, createKeyStore } from './stores/keyStore.js'
import type { CredentialStore } from './stores/store.js'
import { quoteInput } from './validation.js'

declare const AUTHKEEP_VERSION: string

/** The composition root: the only place that touches process streams, the real clock and the exit code. */
function buildDeps(io: Io, interrupts: Interrupts, rerun: string): Deps {
  const env = process.env
  const home = homedir()
  const paths = resolvePaths(env, home)
  const uid = process.getuid?.()
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
  const storeContext = {
    paths,
    env,
    home,
    host,
    keyring: getKeyring,
    uid,
    onWritten: (profile: string, file: string, content: string) =>
      keepLastGood(paths, profile, file, content, new Date()),
  }
  // One store per profile for the whole command: a `token` call reads, locks and writes through the same one.
  const stores = new WeakMap<Profile, CredentialStore>()
  const lockSeconds = Number(env.AUTHKEEP_LOCK_TIMEOUT)
  const httpSeconds = Number(env.AUTHKEEP_HTTP_TIMEOUT)
  if (Number.isFinite(httpSeconds) && httpSeconds > 0) setHttpTimeoutSeconds(httpSeconds)
  const deps: Deps = {
    io,
    clock: systemClock,
    env: readEnvironment(env, io.stdinIsTTY && io.stderrIsTTY),
    processEnv: env,
    paths,
    browser: systemBrowser(env),
    prompter: stdinPrompter(io, rerun),
    credentialsOf: (profile) => {
      const store = stores.get(profile) ?? storeFor(profile, storeContext)
      stores.set(profile, store)
      return store
    },
    keys: createKeyStore(paths, getKeyring),
    clientSecrets: createKeyStore(paths, getKeyring, CLIENT_SECRET_SLOT),
    runChild: systemRunChild,
    // The single executable is its own program; argv[1] there is only the name it was started by.
    self: isSea() ? [process.execPath] : [process.execPath, realpathSync(process.argv[1] ?? '')],
    get host() {
      return host()
    },
    home,
    uid: uid ?? -1,
    cwd: process.cwd(),
    pid: process.pid,
    lockTimeoutMs: Number.isFinite(lockSeconds) && lockSeconds > 0 ? lockSeconds * 1000 : 30_000,
    interrupts,
  }
  return deps
}

/**
 * stdout that a reader may close (`authkeep token | head -c1`) or a device may refuse (`> /dev/full`):
 * the command still finishes, nothing more is written, and main() says so in one line (EPIPE: not at all).
 */
interface ProcessIo extends Io {
  stdoutFailure(): NodeJS.ErrnoException | undefined
}

function processIo(): ProcessIo {
  let failure: NodeJS.ErrnoException | undefined
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    failure ??= err
  })
  return {
    out: (text) => {
      if (failure === undefined) process.stdout.write(text)
    },
    stdoutFailure: () => failure,
    err: (text) => process.stderr.write(text),
    stdin: process.stdin,
    stdinIsTTY: process.stdin.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
  }
}

/** An option's own name (`--device-authorization-endpoint`), which quoting would mask as token-like. */
const OPTION_NAME = /(--[a-z]+(?:-[a-z]+)*)(?=[\s'<,]|$)/

/**
 * commander's message, as one authkeep line ending with the help of the command that refused it. What
 * it quotes from argv is shown as any input is (one line, token-like runs masked); option names as they are.
 */
function commanderLine(err: { message: string; commandPath?: string }): string {
  const text = err.message
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, ' ')
    .split(OPTION_NAME)
    .map((part, i) => (i % 2 === 1 ? part : quoteInput(part, Number.POSITIVE_INFINITY)))
    .join('')
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text
  return `authkeep: ${shown}; run: ${err.commandPath ?? 'authkeep'} --help\n`
}

function report(io: Io, thrown: unknown): ExitCode {
  // A lock or directory that cannot be created on a full or read-only disk: named, not "unexpected".
  const err = fileSystemError(thrown, (thrown as NodeJS.ErrnoException)?.path)
  if (err instanceof AuthkeepError) {
    // Messages quote servers, peers and files: whatever they hold is shown, never obeyed by the terminal.
    io.err(`authkeep: ${printable(err.message)}${err.next ? `; run: ${printable(err.next)}` : ''}\n`)
    return err.exitCode
  }
  const e = err as { code?: string; exitCode?: number; message: string; commandPath?: string }
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) {
    // For --help and --version commander has printed what was asked; its errors are told here.
    if (e.exitCode === 0) return ExitCode.ok
    // A command group run without one of its commands: commander has listed them on stderr.
    if (e.code === 'commander.help') {
      const path = e.commandPath ?? 'authkeep'
      io.err(`authkeep: ${path} needs one of the commands listed above; run: ${path} --help\n`)
    } else io.err(commanderLine(e))
    return ExitCode.usage
  }
  const detail = process.env.AUTHKEEP_DEBUG
    ? `\n${(err as Error)?.stack}`
    : ' (set AUTHKEEP_DEBUG=1 for details)'
  io.err(`authkeep: unexpected error: ${printable((err as Error)?.message ?? String(err))}${detail}\n`)
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

/** stdout refused what the command printed: quiet for a reader that left, one line otherwise. */
function reportStdout(io: Io, err: NodeJS.ErrnoException, code: number, rerun: string): number {
  if (err.code === 'EPIPE') return code
  const next = err.code === 'ENOSPC' ? 'df -h' : `${rerun} > FILE`
  io.err(
    `authkeep: could not write to stdout (${err.code ?? err.message}); the output is incomplete; run: ${next}\n`,
  )
  return code === ExitCode.ok ? ExitCode.error : code
}

async function main(argv: string[], io: Io, rerun: string): Promise<number> {
  await useProxyFromEnv(process.env)
  let deps: Deps | undefined
  let code: number = ExitCode.ok
  const interrupts = processInterrupts(process, io.err)
  const program = buildProgram(async (load, opts) => {
    deps ??= buildDeps(io, interrupts, rerun)
    const run = await load()
    code = await run(deps, opts)
  }, AUTHKEEP_VERSION)
  // Every level, so a usage error in `profile add` exits 2 like one in `login`, through report(),
  // which names that command's --help; commander's own error lines are not printed.
  const overrideAll = (cmd: typeof program, path: string): void => {
    cmd.exitOverride((err) => {
      throw Object.assign(err, { commandPath: path })
    })
    cmd.configureOutput({
      writeErr: (s) => io.err(s),
      writeOut: (s) => io.out(s),
      outputError: () => {},
    })
    for (const sub of cmd.commands) overrideAll(sub, `${path} ${sub.name()}`)
  }
  overrideAll(program, 'authkeep')
  try {
    await program.parseAsync(unknownCommandWithoutHelp(program, argv), { from: 'user' })
  } catch (err) {
    code = report(io, err)
  }
  // A daemon or agent stopped by a signal may still be saving a refresh another request started.
  await interrupts.settled()
  return code
}

/**
 * `authkeep acount --help` would show the top-level help and exit 0, as if all were well: with a first
 * word that is no command, --help is dropped so commander reports the unknown command.
 */
function unknownCommandWithoutHelp(program: ReturnType<typeof buildProgram>, argv: string[]): string[] {
  const known = (word: string) =>
    program.commands.some((c) => c.name() === word || c.aliases().includes(word))
  const [first, second] = argv
  if (first === undefined || first.startsWith('-')) return argv
  // `authkeep help acount` is the same question.
  if (first === 'help') return second === undefined || known(second) ? argv : [second]
  if (known(first)) return argv
  return argv.filter((a) => a !== '--help' && a !== '-h')
}

const io = processIo()
const argv = process.argv.slice(2)
const rerun = quoteInput(['authkeep', ...argv].join(' '), 200)
main(argv, io, rerun).then((code) =>
  // A write's error is emitted on a later tick: looked at once every write has had its say.
  setImmediate(() => {
    const failure = io.stdoutFailure()
    if (failure) process.exit(reportStdout(io, failure, code, rerun))
    // Exit explicitly: idle keep-alive sockets from fetch would otherwise hold the process open for seconds.
    process.stdout.write('', () => process.exit(code))
  }),
)
