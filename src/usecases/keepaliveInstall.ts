import { rm } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { dirname, join } from 'node:path'
import type { Deps } from '../deps.js'
import { AuthkeepError } from '../errors.js'
import { ensurePrivateDir, readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import {
  CARRIED_ENV,
  CRON_MARK,
  cronLines,
  editCrontab,
  renderUnit,
  type ServiceCommand,
  UNIT_NAME,
} from '../keepalive/serviceFiles.js'
import type { ServicePort } from '../keepalive/servicePort.js'
import { readState } from '../keepalive/state.js'
import { liveDaemon } from './keepaliveRun.js'

export interface KeepAliveInstallOptions {
  notifyCommand: string | undefined
  warnDays: number | undefined
}

export interface InstallReport {
  method: 'systemd' | 'cron'
  /** The unit file, or the crontab's new lines. */
  written: string
  /** Sentences for the person, in order; commands they may need to run included. */
  notes: string[]
}

export function unitFile(deps: Deps): string {
  const config = deps.processEnv.XDG_CONFIG_HOME || join(deps.home, '.config')
  return join(config, 'systemd', 'user', UNIT_NAME)
}

function userName(deps: Deps): string {
  return deps.processEnv.USER || deps.processEnv.LOGNAME || userInfo().username
}

function serviceCommand(deps: Deps, opts: KeepAliveInstallOptions): ServiceCommand {
  const args = ['keepalive', 'run']
  if (opts.notifyCommand) args.push('--notify-command', opts.notifyCommand)
  if (opts.warnDays !== undefined) args.push('--warn-days', String(opts.warnDays))
  const env = CARRIED_ENV.flatMap((k): Array<[string, string]> => {
    const v = deps.processEnv[k]
    return v ? [[k, v]] : []
  })
  return { argv: [...deps.self, ...args], env }
}

async function check(port: ServicePort, args: string[]): Promise<void> {
  const r = await port.systemctl(args)
  if (r.code !== 0) {
    throw new AuthkeepError(
      `systemctl --user ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`,
      { next: `journalctl --user -u ${UNIT_NAME}` },
    )
  }
}

/**
 * A systemd user service where a user manager answers; otherwise two marked crontab lines. Installing
 * again replaces what an earlier install wrote (new flags take effect), and never duplicates it.
 */
export async function installKeepAlive(
  deps: Deps,
  port: ServicePort,
  opts: KeepAliveInstallOptions,
): Promise<InstallReport> {
  const cmd = serviceCommand(deps, opts)
  if (await port.systemdUsable()) {
    const file = unitFile(deps)
    // 0600: the notify command may hold a webhook URL with a key in it.
    await writeFileAtomic(file, renderUnit(cmd))
    await check(port, ['daemon-reload'])
    await check(port, ['enable', UNIT_NAME])
    await check(port, ['restart', UNIT_NAME])
    const notes = [`wrote ${file}; the keep-alive service is enabled and running`]
    const user = userName(deps)
    if ((await port.lingering(user)) === false) {
      notes.push(
        `systemd stops your services when you log out; to keep it running, run: loginctl enable-linger ${user}`,
      )
    }
    // A cron fallback from an earlier install would run a second schedule beside the service.
    const crontab = await port.readCrontab().catch(() => undefined)
    if (crontab?.includes(CRON_MARK)) {
      await port.writeCrontab(editCrontab(crontab, undefined))
      notes.push('removed the crontab lines of an earlier install')
    }
    notes.push(`logs: journalctl --user -u ${UNIT_NAME}; state: authkeep keepalive status`)
    return { method: 'systemd', written: file, notes }
  }
  const crontab = await port.readCrontab()
  if (crontab === undefined) {
    throw new AuthkeepError(
      'neither a systemd user manager nor crontab is available to start the keep-alive daemon',
      { next: `${cmd.argv.join(' ')} (under your own supervisor)` },
    )
  }
  const log = join(deps.paths.stateDir, 'keepalive', 'cron.log')
  // The shell opens the log before authkeep runs: its directory must exist from the start.
  await ensurePrivateDir(dirname(log))
  const lines = cronLines(cmd, log)
  const next = editCrontab(crontab, lines)
  const notes: string[] = []
  if (next === crontab) notes.push('the crontab already holds these lines; nothing changed')
  else {
    await port.writeCrontab(next)
    notes.push('no systemd user manager here: added two lines to your crontab (crontab -l shows them)')
  }
  notes.push(
    'the daemon starts at the next boot; until then a pass every 15 minutes refreshes what is due',
    `to start it now: nohup ${cmd.argv.join(' ')} >>${log} 2>&1 &`,
    `logs: ${log}; state: authkeep keepalive status`,
  )
  return { method: 'cron', written: lines.join('\n'), notes }
}

/** Removes the unit (stopping the service) and authkeep's crontab lines, whichever exist. */
export async function uninstallKeepAlive(deps: Deps, port: ServicePort): Promise<string[]> {
  const notes: string[] = []
  const file = unitFile(deps)
  if ((await readFileIfExists(file)) !== undefined) {
    const usable = await port.systemdUsable()
    if (usable) await port.systemctl(['disable', '--now', UNIT_NAME])
    await rm(file, { force: true })
    if (usable) await port.systemctl(['daemon-reload'])
    notes.push(`${usable ? 'stopped the service and ' : ''}removed ${file}`)
  }
  const crontab = await port.readCrontab().catch(() => undefined)
  if (crontab?.includes(CRON_MARK)) {
    await port.writeCrontab(editCrontab(crontab, undefined))
    notes.push('removed the keep-alive lines from your crontab')
    // cron starts but never stops: the daemon it started at boot is stopped here.
    const pid = await liveDaemon(await readState(deps.paths).catch(() => undefined), deps.pid)
    if (pid !== undefined) {
      port.stopDaemon(pid)
      notes.push(`stopped the keep-alive daemon (pid ${pid})`)
    }
  }
  if (notes.length === 0) notes.push('the keep-alive service was not installed; nothing to remove')
  return notes
}
