import { ExitCode } from '../../errors.js'
import { loadConfig, pickProfile } from '../../profiles/configFile.js'
import { restore } from '../../usecases/restore.js'
import type { Run } from '../dispatch.js'
import type { RestoreOptions } from './options.js'

export const restoreRun: Run<RestoreOptions> = async (deps, opts) => {
  const config = await loadConfig(deps.paths)
  const result = await restore(deps, opts.id, (name) => pickProfile(config, name, deps.processEnv, 'restore'))
  const replaced = result.replaced ? `; what it replaced was backed up to ${result.replaced}` : ''
  deps.io.err(`Restored ${opts.id} to ${result.file}${replaced}.\nCheck it with: authkeep status\n`)
  return ExitCode.ok
}
