import { ExitCode } from '../../errors.js'
import { loadConfig, pickProfile } from '../../profiles/configFile.js'
import { keepaliveWarnings } from '../../usecases/keepaliveStatus.js'
import { profileStatus, profilesInUse } from '../../usecases/status.js'
import type { Run } from '../dispatch.js'
import type { StatusOptions } from './options.js'
import { renderStatus } from './render.js'

export const statusRun: Run<StatusOptions> = async (deps, opts) => {
  const config = await loadConfig(deps.paths)
  const profiles = opts.profile
    ? [pickProfile(config, opts.profile, deps.processEnv, 'status')]
    : await profilesInUse(deps, config)
  const warnings = await keepaliveWarnings(deps)
  const entries = (await Promise.all(profiles.map((p) => profileStatus(deps, p)))).map((e) => ({
    ...e,
    keepalive_warnings: (warnings.get(e.profile) ?? []).map(({ reason, detail, since }) => ({
      reason,
      detail,
      since,
    })),
  }))
  deps.io.out(
    opts.json
      ? `${JSON.stringify({ profiles: entries }, null, 2)}\n`
      : renderStatus(entries, deps.clock.now()),
  )
  if (entries.some((e) => e.state === 'unreadable')) return ExitCode.config
  if (entries.some((e) => e.state === 'login_required' || e.state === 'logged_out'))
    return ExitCode.loginRequired
  return ExitCode.ok
}
