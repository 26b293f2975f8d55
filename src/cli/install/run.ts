import { resolve } from 'node:path'
import { ExitCode } from '../../errors.js'
import { installRemote } from '../../usecases/installRemote.js'
import type { Run } from '../dispatch.js'
import type { InstallOptions } from './options.js'

export const installRun: Run<InstallOptions> = async (deps, opts) => {
  await installRemote(deps, {
    target: opts.to,
    dir: opts.dir,
    exe: opts.exe === undefined ? undefined : resolve(opts.exe),
  })
  return ExitCode.ok
}
