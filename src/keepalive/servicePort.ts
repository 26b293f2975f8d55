import { execFile } from 'node:child_process'

export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

/** The service managers `keepalive install` talks to; a fake in tests, real programs otherwise. */
export interface ServicePort {
  /** Whether a systemd user manager answers (not merely whether systemctl is installed). */
  systemdUsable(): Promise<boolean>
  systemctl(args: string[]): Promise<CommandResult>
  /** The user's Linger setting; undefined when loginctl cannot tell. */
  lingering(user: string): Promise<boolean | undefined>
  /** The current crontab ('' when there is none); undefined when crontab is not installed. */
  readCrontab(): Promise<string | undefined>
  writeCrontab(text: string): Promise<void>
  /** Asks a daemon cron started to stop (SIGTERM): cron starts, but never stops. */
  stopDaemon(pid: number): void
}

function run(command: string, args: string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string }) | null
      const code = !e ? 0 : typeof e.code === 'number' ? e.code : e.code === 'ENOENT' ? 127 : 1
      resolve({ code, stdout, stderr: stderr || (e && typeof e.code === 'string' ? e.message : '') })
    })
    // A program that exits without reading its stdin must not turn into an EPIPE crash here.
    child.stdin?.on('error', () => {})
    child.stdin?.end(input ?? '')
  })
}

export function systemServicePort(): ServicePort {
  return {
    systemdUsable: async () => (await run('systemctl', ['--user', 'show-environment'])).code === 0,
    systemctl: (args) => run('systemctl', ['--user', ...args]),
    async lingering(user) {
      const r = await run('loginctl', ['show-user', user, '--property=Linger', '--value'])
      if (r.code !== 0) return undefined
      return r.stdout.trim() === 'yes'
    },
    async readCrontab() {
      const r = await run('crontab', ['-l'])
      if (r.code === 127) return undefined
      if (r.code === 0) return r.stdout
      // Every cron says "no crontab for USER" on a user without one.
      if (/no crontab/i.test(r.stderr)) return ''
      throw new Error(`crontab -l failed: ${r.stderr.trim()}`)
    },
    async writeCrontab(text) {
      const r = await run('crontab', ['-'], text)
      if (r.code !== 0) throw new Error(`crontab - failed: ${r.stderr.trim()}`)
    },
    stopDaemon: (pid) => process.kill(pid, 'SIGTERM'),
  }
}
