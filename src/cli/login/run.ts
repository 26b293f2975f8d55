import { ExitCode, UsageError } from '../../errors.js'
import { loadConfig, pickProfile } from '../../profiles/configFile.js'
import { login, loginLongLived } from '../../usecases/login.js'
import type { Run } from '../dispatch.js'
import type { LoginOptions } from './command.js'

export const loginRun: Run<LoginOptions> = async (deps, opts) => {
  const profile = pickProfile(await loadConfig(deps.paths), opts.profile, deps.processEnv, 'login')
  if (opts.port !== undefined && opts.method !== 'loopback') {
    throw new UsageError(
      '--port applies to --method loopback only',
      `authkeep login --profile ${profile.name} --method loopback --port ${opts.port}`,
    )
  }
  const input = { method: opts.method, port: opts.port, timeoutSeconds: opts.timeout, store: opts.store }
  if (opts.longLived) await loginLongLived(deps, profile, input)
  else await login(deps, profile, input)
  return ExitCode.ok
}
