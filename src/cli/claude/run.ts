import { ExitCode, LoginRequiredError } from '../../errors.js'
import { CLAUDE_CODE } from '../../profiles/claudeCode.js'
import { loadConfig, pickProfileOrAgent } from '../../profiles/configFile.js'
import { claudeConfigDir } from '../../stores/claudeCodeStore.js'
import { accountHere } from '../../usecases/accountHere.js'
import { helperCommand, setApiKeyHelper } from '../../usecases/claudeSettings.js'
import { getToken } from '../../usecases/getToken.js'
import type { Run } from '../dispatch.js'
import type { ClaudeAction } from './options.js'

export const claudeRun: Run<ClaudeAction> = async (deps, a) => {
  const config = await loadConfig(deps.paths)
  const profile = pickProfileOrAgent(config, a.profile, deps.processEnv, `claude ${a.action}`)
  if (a.action === 'helper') {
    // Printing the secret is this command's job: Claude Code reads it from stdout. The account bound to
    // this directory first; then a stored key; else, on a machine with a forwarded token agent or on a
    // fleet host, a fresh access token from it.
    const here = await accountHere(deps, profile)
    if (here?.why === 'bound') {
      const { credential } = await getToken(deps, here.holder)
      deps.io.out(`${credential.accessToken?.reveal()}\n`)
      return ExitCode.ok
    }
    const key = await deps.keys.get(profile.name)
    if (key) {
      deps.io.out(`${key.value}\n`)
      return ExitCode.ok
    }
    if (!deps.processEnv.AUTHKEEP_AGENT_SOCK && !profile.fleet) {
      throw new LoginRequiredError(profile.name, `no key is stored for profile "${profile.name}"`)
    }
    const { credential } = await getToken(deps, profile)
    deps.io.out(`${credential.accessToken?.reveal()}\n`)
    return ExitCode.ok
  }
  const claude = config.profiles.get(CLAUDE_CODE) ?? profile
  const configDir = claudeConfigDir(claude, deps.processEnv, deps.home)
  if (!a.off && !(await deps.keys.get(profile.name))) {
    deps.io.err(
      `! No key is stored for profile "${profile.name}" yet; run: authkeep key set --profile ${profile.name}\n`,
    )
  }
  const command = a.off ? undefined : helperCommand(deps.self, profile.name, deps.processEnv)
  const change = await setApiKeyHelper(deps, configDir, command)
  const backup = change.backup ? ` (previous file kept at ${change.backup})` : ''
  deps.io.err(
    a.off
      ? `Removed apiKeyHelper from ${change.file}${backup}.\n`
      : `Claude Code now asks authkeep for its key: apiKeyHelper set in ${change.file}${backup}.\nCheck with: authkeep doctor\n`,
  )
  return ExitCode.ok
}
