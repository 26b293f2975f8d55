// Drives an interactive program in a real terminal, for prompts, TTY detection and long
// URLs that a person would copy off the screen.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TmuxSession {
  capture(): Promise<string>
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>
  sendText(text: string): Promise<void>
  sendEnter(): Promise<void>
  exitCode(timeoutMs?: number): Promise<number>
  kill(): Promise<void>
}

const TARGET = 'bed:0.0'
const DEFAULT_WAIT_MS = 10_000
const POLL_MS = 50

// The pane keeps its last screen after the program ends, so output and exit status can still
// be read, without tmux's own "Pane is dead" line; no status line, so the pane is the window.
const CONFIG = [
  'set -g remain-on-exit on',
  "set -g remain-on-exit-format ''",
  'set -g status off',
  'set -g history-limit 10000',
  '',
].join('\n')

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tmux', args, { timeout: 5_000, env: tmuxEnv() }, (err, stdout, stderr) => {
      if (err) reject(new Error(`tmux ${args.join(' ')}: ${stderr.trim() || err.message}`))
      else resolve(stdout)
    })
  })
}

// The tmux client and server get only what they need to run; in particular no TMUX, so this
// works from inside another tmux. A UTF-8 locale keeps tmux from mangling non-ASCII output.
function tmuxEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' }
}

export async function startTmux(
  command: string[],
  opts: { env: Record<string, string>; cwd?: string; width?: number; height?: number },
): Promise<TmuxSession> {
  if (command.length === 0) throw new Error('startTmux: empty command')
  const dir = await mkdtemp(join(tmpdir(), 'authkeep-tmux-'))
  const socket = join(dir, 'socket')
  const conf = join(dir, 'tmux.conf')
  const statusFile = join(dir, 'status')
  await writeFile(conf, CONFIG)
  const tmux = (...args: string[]) => run(['-S', socket, ...args])

  // The program's environment is exactly opts.env: `env -i` drops whatever the tmux server
  // inherited. With more than one argument tmux execs the command directly, and the wrapper
  // passes it on as "$@", so no shell quoting is involved. TERM matches the terminal tmux
  // emulates unless the caller sets one.
  const envArgs = Object.entries({ TERM: 'screen', ...opts.env }).map(([k, v]) => `${k}=${v}`)
  const width = String(opts.width ?? 250)
  const height = String(opts.height ?? 50)
  try {
    // tmux 3.3 can lose the exit status of a program (node among them) that closes the
    // terminal before it exits: the pane dies on EOF first. A shell around it records the
    // status in a file. It sits outside `env -i`, so it cannot add PWD to the program's env.
    const wrapper = ['/bin/sh', '-c', '"$@"; code=$?; echo $code > "$0"; exit $code', statusFile]
    await run([
      ...['-S', socket, '-f', conf, '-u', 'new-session', '-d', '-s', 'bed', '-x', width, '-y', height],
      ...(opts.cwd ? ['-c', opts.cwd] : []),
      ...['--', ...wrapper, 'env', '-i', '--', ...envArgs, ...command],
    ])
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  const panePid = Number((await tmux('display-message', '-p', '-t', TARGET, '#{pane_pid}')).trim())

  const capture = async () => {
    // -J joins wrapped lines, so a long URL comes back whole; -S - includes scrolled-off lines.
    // Blank rows below the output go; trailing spaces stay, so a prompt like "name? " matches.
    const lines = (await tmux('capture-pane', '-p', '-J', '-S', '-', '-t', TARGET)).split('\n')
    while (lines.length > 0 && (lines.at(-1) ?? '').trim() === '') lines.pop()
    return `${lines.join('\n')}\n`
  }

  const status = async (): Promise<number | undefined> => {
    try {
      const recorded = readFileSync(statusFile, 'utf8').trim()
      if (recorded !== '') return Number(recorded)
    } catch {}
    const out = (
      await tmux(
        'display-message',
        '-p',
        '-t',
        TARGET,
        '#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}',
      )
    ).trim()
    const [dead, code, signal] = out.split(':')
    // Fallback for a wrapper that never wrote its file (killed by a signal): the pane may be
    // dead before tmux has reaped the child, so an empty status means "not yet".
    if (dead !== '1') return undefined
    if (code) return Number(code)
    if (signal) return 128 + Number(signal)
    return undefined
  }

  return {
    capture,
    async waitFor(re, timeoutMs = DEFAULT_WAIT_MS) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const text = await capture()
        if (re.test(text)) return text
        if (Date.now() > deadline)
          throw new Error(`tmux: ${re} did not appear within ${timeoutMs} ms; the pane shows:\n${text}`)
        await sleep(POLL_MS)
      }
    },
    async sendText(text) {
      await tmux('send-keys', '-t', TARGET, '-l', '--', text)
    },
    async sendEnter() {
      await tmux('send-keys', '-t', TARGET, 'Enter')
    },
    async exitCode(timeoutMs = DEFAULT_WAIT_MS) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const code = await status()
        if (code !== undefined) return code
        if (Date.now() > deadline) {
          throw new Error(
            `tmux: the command did not end within ${timeoutMs} ms; the pane shows:\n${await capture()}`,
          )
        }
        await sleep(POLL_MS)
      }
    },
    async kill() {
      const running = (await status().catch(() => 0)) === undefined
      await tmux('kill-server').catch(() => {})
      // kill-server only sends SIGHUP; a program that ignores it must not outlive the test.
      // The pane's process leads its own process group, which holds its children too.
      const deadline = Date.now() + 2_000
      while (running && isRunning(panePid) && Date.now() < deadline) await sleep(POLL_MS)
      try {
        process.kill(-panePid, 'SIGKILL')
      } catch {}
      while (isRunning(panePid) && Date.now() < deadline + 2_000) await sleep(POLL_MS)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

// A zombie counts as ended: it runs nothing and goes once its new parent reaps it.
function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}
