import type { Deps } from '../../deps.js'
import { CHECKS } from '../../doctor/checks/index.js'
import { finding } from '../../doctor/finding.js'
import { ConfigError, ExitCode } from '../../errors.js'
import { CLAUDE_CODE } from '../../profiles/claudeCode.js'
import { type Config, loadConfig, pickProfile } from '../../profiles/configFile.js'
import { claudeConfigDir } from '../../stores/claudeCodeStore.js'
import { type Diagnosis, diagnose } from '../../usecases/diagnose.js'
import { getToken } from '../../usecases/getToken.js'
import type { Run } from '../dispatch.js'
import type { DoctorOptions } from './options.js'
import { renderDiagnosis } from './render.js'

/** An invalid config.json stops every command: doctor reports it as a finding, in --json too. */
function configInvalid(err: ConfigError): Diagnosis {
  return {
    findings: [
      finding(
        'config.invalid',
        'error',
        err.message,
        "authkeep cannot read its profiles, so every authkeep command stops here until the file is fixed (Claude Code's own login is not affected)",
        err.next ?? null,
      ),
    ],
    worst: 'error',
    fixed: [],
  }
}

export const doctorRun: Run<DoctorOptions> = async (deps, opts) => {
  let config: Config
  try {
    config = await loadConfig(deps.paths)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    return report(
      deps,
      opts,
      opts.profile ?? deps.processEnv.AUTHKEEP_PROFILE ?? CLAUDE_CODE,
      configInvalid(err),
    )
  }
  const profile = pickProfile(config, opts.profile, deps.processEnv, 'doctor')
  const ctx = {
    profile,
    env: deps.processEnv,
    home: deps.home,
    uid: deps.uid,
    host: deps.host,
    now: deps.clock.now(),
    configDir:
      profile.kind === 'claude-code' ? claudeConfigDir(profile, deps.processEnv, deps.home) : undefined,
    // Doctor's checks are about files; a store without one (a remote store) gets its own checks.
    credentialFile: deps.credentialsOf(profile).file ?? '',
    online: opts.online === true,
    // Its retry notices would interleave with the report.
    refreshNow: async () => {
      await getToken({ ...deps, io: { ...deps.io, err: () => {} } }, profile, { force: true })
    },
  }
  return report(deps, opts, profile.name, await diagnose(ctx, CHECKS, { fix: opts.fix === true }))
}

function report(deps: Deps, opts: DoctorOptions, profile: string, d: Diagnosis): ExitCode {
  deps.io.out(
    opts.json
      ? `${JSON.stringify({ profile, healthy: d.worst === 'ok' || d.worst === 'info', worst: d.worst, fixed: d.fixed, findings: d.findings }, null, 2)}\n`
      : renderDiagnosis(profile, d),
  )
  return d.worst === 'error'
    ? ExitCode.doctorErrors
    : d.worst === 'warning'
      ? ExitCode.doctorWarnings
      : ExitCode.ok
}
