import { readFile } from 'node:fs/promises'
import type { Deps } from '../deps.js'
import { AuthkeepError, ExitCode } from '../errors.js'
import { DEFAULT_KEEPALIVE, KeepAlive, type KeepAlivePorts } from '../keepalive/daemon.js'
import { createLog, type Log, timestamped } from '../keepalive/log.js'
import { shellNotifier } from '../keepalive/notify.js'
import type { Backoff } from '../keepalive/schedule.js'
import { type KeepaliveState, pidAlive, readState, writeState } from '../keepalive/state.js'
import { loadConfig } from '../profiles/configFile.js'
import { slotProfiles } from './accounts.js'
import { profilesInUse } from './status.js'

export interface KeepAliveRunOptions {
  warnDays: number
  notifyCommand: string | undefined
  backoff?: Backoff
}

export interface RunningKeepAlive {
  /** Re-reads the config and every record now (SIGHUP). */
  reload(): void
  /** Ends the loop after the cycle in progress and records a clean stop. */
  stop(): Promise<void>
}

/** Whether the state file names a keep-alive daemon that is still running (not this process). */
export async function liveDaemon(
  state: KeepaliveState | undefined,
  ownPid: number,
): Promise<number | undefined> {
  const d = state?.daemon
  if (!d || d.stopped_at !== null || d.pid === ownPid || !pidAlive(d.pid)) return undefined
  // After a reboot the pid may belong to anything: only a process running keepalive counts.
  const cmdline = await readFile(`/proc/${d.pid}/cmdline`, 'utf8').catch(() => undefined)
  return cmdline === undefined || cmdline.includes('keepalive') ? d.pid : undefined
}

function build(deps: Deps, opts: KeepAliveRunOptions, log: Log, previous: KeepaliveState | undefined) {
  // What the refresh protocol prints (retries, lock waits) joins the log as timestamped lines.
  const quiet: Deps = { ...deps, io: { ...deps.io, err: timestamped(deps.io.err, deps.clock) } }
  const ports: KeepAlivePorts = {
    clock: deps.clock,
    pid: deps.pid,
    read: (profile) => deps.credentialsOf(profile).read(),
    async refresh(profile, seen) {
      const { refreshUnderLock } = await import('./refreshUnderLock.js')
      return refreshUnderLock(quiet, profile, seen, true)
    },
    saveState: (state) => writeState(deps.paths, state),
  }
  return new KeepAlive(
    ports,
    {
      ...DEFAULT_KEEPALIVE,
      backoff: opts.backoff ?? DEFAULT_KEEPALIVE.backoff,
      warnDays: opts.warnDays,
      notify: opts.notifyCommand ? shellNotifier(opts.notifyCommand, deps.processEnv) : undefined,
    },
    // Every account's slot too: an inactive account's login is kept alive and watched like the active one.
    async () => {
      const config = await loadConfig(deps.paths)
      const slots = await slotProfiles(deps, [...config.profiles.values()])
      return [...(await profilesInUse(deps, config)), ...slots]
    },
    log,
    previous,
  )
}

/** Starts the daemon loop; it runs until stop(). Refuses to run beside a live daemon. */
export async function startKeepAlive(deps: Deps, opts: KeepAliveRunOptions): Promise<RunningKeepAlive> {
  const previous = await readState(deps.paths)
  const other = await liveDaemon(previous, deps.pid)
  if (other !== undefined) {
    throw new AuthkeepError(`another keep-alive daemon is running (pid ${other})`, {
      next: 'authkeep keepalive status',
    })
  }
  const log = createLog(deps.io.err, deps.clock)
  const daemon = build(deps, opts, log, previous)
  log('start', { pid: deps.pid, warn_days: opts.warnDays, notify: opts.notifyCommand !== undefined })
  await daemon.wake()
  return {
    reload: () => {
      log('reload')
      void daemon.wake()
    },
    stop: async () => {
      await daemon.stop()
      log('stop')
    },
  }
}

/**
 * One pass for cron: refresh what is due now (backoff ignored: the schedule is cron's), then exit.
 * Beside a live daemon it does nothing, since the daemon owns the schedule and the state file.
 */
export async function keepAliveOnce(deps: Deps, opts: KeepAliveRunOptions): Promise<ExitCode> {
  const previous = await readState(deps.paths)
  const log = createLog(deps.io.err, deps.clock)
  const other = await liveDaemon(previous, deps.pid)
  if (other !== undefined) {
    log('skip', { reason: 'daemon_running', pid: other })
    return ExitCode.ok
  }
  const daemon = build(deps, opts, log, previous)
  await daemon.wake(true)
  await daemon.stop()
  log('done')
  const states = daemon.states().map(([, st]) => st.state)
  if (states.includes('login_required')) return ExitCode.loginRequired
  if (states.includes('unreadable')) return ExitCode.config
  if (states.includes('retrying')) return ExitCode.unavailable
  return ExitCode.ok
}
