import { ExitCode } from '../../errors.js'
import { printable } from '../../printable.js'
import { loadConfig, pickProfile } from '../../profiles/configFile.js'
import { type AccountHere, accountHere } from '../../usecases/accountHere.js'
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
  const here = await Promise.all(profiles.map((p) => accountHere(deps, p)))
  const entries = (await Promise.all(profiles.map((p) => profileStatus(deps, p)))).map((e, i) => ({
    ...e,
    account: accountShown(here[i]),
    keepalive_warnings: (warnings.get(e.profile) ?? []).map(({ reason, detail, since }) => ({
      reason,
      detail,
      since,
    })),
  }))
  deps.io.out(
    opts.json
      ? `${JSON.stringify({ profiles: entries }, null, 2)}\n`
      : renderStatus(entries, deps.clock.now()) + accountLines(entries),
  )
  if (entries.some((e) => e.state === 'unreadable')) return ExitCode.config
  if (entries.some((e) => e.state === 'login_required' || e.state === 'logged_out'))
    return ExitCode.loginRequired
  return ExitCode.ok
}

/** Which account applies in this directory, and why: a binding file, or the machine-wide active one. */
function accountShown(here: AccountHere | undefined) {
  return here ? { name: here.account, why: here.why, file: here.file ?? null } : null
}

function accountLines(entries: Array<{ profile: string; account: ReturnType<typeof accountShown> }>): string {
  return entries
    .filter((e) => e.account)
    .map(({ profile, account: a }) =>
      a?.why === 'bound'
        ? `${profile}: account "${a.name}" applies here, bound by ${printable(a.file ?? '')}\n`
        : `${profile}: account "${a?.name}" applies here, the active one (machine-wide)\n`,
    )
    .join('')
}
