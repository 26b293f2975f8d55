import { CHECKS } from '../../doctor/checks/index.js'
import { ExitCode } from '../../errors.js'
import { loadConfig, pickProfile } from '../../profiles/configFile.js'
import { claudeConfigDir } from '../../stores/claudeCodeStore.js'
import { diagnose } from '../../usecases/diagnose.js'
import type { Run } from '../dispatch.js'
import type { DoctorOptions } from './command.js'
import { renderDiagnosis } from './render.js'

export const doctorRun: Run<DoctorOptions> = async (deps, opts) => {
  const profile = pickProfile(await loadConfig(deps.paths), opts.profile, deps.processEnv, 'doctor')
  const ctx = {
    profile,
    env: deps.processEnv,
    home: deps.home,
    uid: deps.uid,
    host: deps.host,
    now: deps.clock.now(),
    configDir:
      profile.kind === 'claude-code' ? claudeConfigDir(profile, deps.processEnv, deps.home) : undefined,
    credentialFile: deps.storeFor(profile).recordFile(profile.name),
    online: opts.online === true,
    deps,
  }
  const d = await diagnose(ctx, CHECKS, { fix: opts.fix === true })
  deps.io.out(
    opts.json
      ? `${JSON.stringify({ profile: profile.name, healthy: d.worst === 'ok' || d.worst === 'info', worst: d.worst, fixed: d.fixed, findings: d.findings }, null, 2)}\n`
      : renderDiagnosis(profile.name, d),
  )
  return d.worst === 'error'
    ? ExitCode.doctorErrors
    : d.worst === 'warning'
      ? ExitCode.doctorWarnings
      : ExitCode.ok
}
