import { AuthkeepError, ExitCode } from '../../errors.js'
import { systemServicePort } from '../../keepalive/servicePort.js'
import { installKeepAlive, uninstallKeepAlive } from '../../usecases/keepaliveInstall.js'
import { keepAliveOnce, startKeepAlive } from '../../usecases/keepaliveRun.js'
import { keepaliveStatus } from '../../usecases/keepaliveStatus.js'
import type { Run } from '../dispatch.js'
import type { KeepaliveInstallOptions, KeepaliveRunOptions, KeepaliveStatusOptions } from './options.js'
import { renderKeepaliveStatus } from './render.js'

export const keepaliveRunRun: Run<KeepaliveRunOptions> = async (deps, opts) => {
  if (opts.backoffMax < opts.backoffMin) {
    throw new AuthkeepError('--backoff-max must not be below --backoff-min', { exitCode: ExitCode.usage })
  }
  const options = {
    warnDays: opts.warnDays,
    notifyCommand: opts.notifyCommand,
    backoff: { minMs: opts.backoffMin * 1000, maxMs: opts.backoffMax * 1000 },
  }
  if (opts.once) return keepAliveOnce(deps, options)
  // Taken before the first pass, which may already be refreshing: a stop then lets it save what it got.
  let reload = () => {}
  const stopAsked = new Promise<void>((resolve) => {
    deps.interrupts.handle('SIGTERM', resolve)
    deps.interrupts.handle('SIGINT', resolve)
  })
  deps.interrupts.handle('SIGHUP', () => reload(), { stops: false })
  const daemon = await startKeepAlive(deps, options)
  reload = daemon.reload
  await stopAsked
  reload = () => {}
  await daemon.stop()
  return ExitCode.ok
}

export const keepaliveStatusRun: Run<KeepaliveStatusOptions> = async (deps, opts) => {
  const report = await keepaliveStatus(deps)
  deps.io.out(
    opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderKeepaliveStatus(report, deps.clock.now()),
  )
  return ExitCode.ok
}

export const keepaliveInstallRun: Run<KeepaliveInstallOptions> = async (deps, opts) => {
  const report = await installKeepAlive(deps, systemServicePort(), {
    notifyCommand: opts.notifyCommand,
    warnDays: opts.warnDays,
  })
  for (const note of report.notes) deps.io.err(`authkeep: ${note}\n`)
  return ExitCode.ok
}

export const keepaliveUninstallRun: Run<Record<string, never>> = async (deps) => {
  for (const note of await uninstallKeepAlive(deps, systemServicePort())) deps.io.err(`authkeep: ${note}\n`)
  return ExitCode.ok
}
