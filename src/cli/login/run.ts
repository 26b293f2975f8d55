import { ExitCode, UsageError } from '../../errors.js'
import { loadConfig, pickProfile } from '../../profiles/configFile.js'
import { completeHandoff } from '../../usecases/handoffComplete.js'
import { loginFor } from '../../usecases/handoffFor.js'
import { receiveHandoff } from '../../usecases/handoffReceive.js'
import { login, loginLongLived } from '../../usecases/login.js'
import type { Run } from '../dispatch.js'
import type { LoginOptions } from './options.js'

function assertAlone(opts: LoginOptions, flag: string): void {
  if (opts.longLived || opts.store || opts.port !== undefined) {
    throw new UsageError(`${flag} takes no --long-lived, --store or --port`, 'authkeep login --help')
  }
}

export const loginRun: Run<LoginOptions> = async (deps, opts) => {
  const modes = [opts.for, opts.completeHandoff, opts.receive].filter((v) => v !== undefined)
  if (modes.length > 1)
    throw new UsageError(
      '--for, --complete-handoff and --receive exclude each other',
      'authkeep login --help',
    )
  if (opts.receive) {
    await receiveHandoff(deps, await loadConfig(deps.paths), opts.profile ?? deps.processEnv.AUTHKEEP_PROFILE)
    return ExitCode.ok
  }
  if (opts.completeHandoff !== undefined) {
    assertAlone(opts, '--complete-handoff')
    if (opts.method !== 'auto' && opts.method !== 'loopback' && opts.method !== 'paste') {
      throw new UsageError('--complete-handoff takes --method loopback or paste', 'authkeep login --help')
    }
    await completeHandoff(deps, opts.completeHandoff, {
      paste: opts.method === 'paste',
      timeoutSeconds: opts.timeout,
    })
    return ExitCode.ok
  }
  const config = await loadConfig(deps.paths)
  const profile = pickProfile(config, opts.profile, deps.processEnv, 'login')
  if (opts.port !== undefined && opts.method !== 'loopback') {
    throw new UsageError(
      '--port applies to --method loopback only',
      `authkeep login --profile ${profile.name} --method loopback --port ${opts.port}`,
    )
  }
  const input = { method: opts.method, port: opts.port, timeoutSeconds: opts.timeout, store: opts.store }
  if (opts.for !== undefined) {
    if (opts.longLived || opts.store) {
      throw new UsageError('--for takes no --long-lived or --store', `authkeep login --for ${opts.for}`)
    }
    if (opts.method === 'handoff') {
      throw new UsageError(
        '--for already runs the browser here; --method handoff is started on the other machine',
        `authkeep login --for ${opts.for} --profile ${profile.name}`,
      )
    }
    await loginFor(deps, config, profile, opts.for, input)
    return ExitCode.ok
  }
  if (opts.longLived) await loginLongLived(deps, profile, input)
  else await login(deps, profile, input)
  return ExitCode.ok
}
