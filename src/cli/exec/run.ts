import { AuthkeepError, ExitCode, UsageError } from '../../errors.js'
import { printable } from '../../printable.js'
import { accountHere } from '../../usecases/accountHere.js'
import { startCodexRelay } from '../../usecases/codexRelay.js'
import { planExec } from '../../usecases/execPlan.js'
import type { Run } from '../dispatch.js'
import { profileFor } from '../profileFor.js'
import type { ExecOptions } from './options.js'

export const execRun: Run<ExecOptions> = async (deps, opts) => {
  const profile = await profileFor(deps, opts.profile, 'exec', { agent: true })
  if (opts.env !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.env)) {
    throw new UsageError(
      `--env "${opts.env}" is not a variable name`,
      `authkeep exec --profile ${profile.name} -- CMD`,
    )
  }
  const [command, ...args] = opts.command
  if (!command) throw new UsageError('no command given', `authkeep exec --profile ${profile.name} -- CMD`)
  const here = await accountHere(deps, profile)
  if (here?.why === 'bound' && profile.kind === 'codex') {
    // Codex takes its ChatGPT login only from auth.json: no variable could hand it the bound account.
    throw new UsageError(
      `${here.file} binds account "${here.account}", but Codex reads its login only from its auth.json, so exec cannot hand it another account`,
      `authkeep switch ${here.account} --profile ${profile.name}`,
    )
  }
  const plan = await planExec(deps, profile, opts.env, here?.why === 'bound' ? here.holder : undefined)
  if (here?.why === 'bound')
    deps.io.err(`authkeep: account "${here.account}" (bound by ${printable(here.file ?? '')})\n`)
  for (const w of plan.warnings) deps.io.err(`! ${w}\n`)
  if (plan.cleared.length > 0)
    deps.io.err(
      `authkeep: unset ${plan.cleared.join(', ')} for the command (they outrank ${plan.variable ?? "the login in Codex's auth.json"})\n`,
    )
  // Codex's refreshes, asked of authkeep for as long as the command runs (it may outlive many tokens).
  const relay = plan.relay ? await startCodexRelay(deps, profile) : undefined
  if (relay) plan.env.CODEX_REFRESH_TOKEN_URL_OVERRIDE = relay.url
  try {
    const { code } = await deps.runChild(command, args, plan.env, {
      maskSecrets: opts.mask && plan.secret ? [plan.secret] : [],
    })
    // exec's exit code is the command's own, as with env(1) or aws-vault exec.
    return code
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AuthkeepError(`command not found: ${command}`, {
        exitCode: ExitCode.commandNotFound,
        next: `which ${command}`,
      })
    }
    throw err
  } finally {
    await relay?.close()
  }
}
