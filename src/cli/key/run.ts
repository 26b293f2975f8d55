import { ExitCode } from '../../errors.js'
import { mask } from '../../secret.js'
import { backupKeyFile, checkKeyText, recogniseKind } from '../../usecases/keys.js'
import type { Run } from '../dispatch.js'
import { profileFor } from '../profileFor.js'
import type { KeyAction } from './options.js'

export const keyRun: Run<KeyAction> = async (deps, a) => {
  const profile = await profileFor(deps, a.opts.profile, `key ${a.action}`)
  if (a.action === 'remove') {
    const backup = await backupKeyFile(deps, profile.name, 'remove')
    await deps.keys.remove(profile.name)
    deps.io.err(
      backup
        ? `Removed the key of profile "${profile.name}"; backup kept at ${backup}.\n`
        : 'No key was stored.\n',
    )
    return ExitCode.ok
  }
  const value = checkKeyText(
    await deps.prompter.secret(`Key for profile "${profile.name}" (input hidden): `),
    profile.name,
  )
  const kind = a.opts.kind
    ? a.opts.kind === 'api-key'
      ? 'api_key'
      : 'oauth_token'
    : (recogniseKind(value) ?? 'api_key')
  await backupKeyFile(deps, profile.name, 'replaced')
  const where = await deps.keys.set(
    profile.name,
    { kind, value, expiresAt: undefined },
    a.opts.store ?? 'auto',
    deps.clock.now(),
  )
  if (where === 'file' && a.opts.store !== 'file')
    deps.io.err('! the system keyring is not available; the key is in a 0600 file instead.\n')
  deps.io.err(
    `Stored ${kind === 'api_key' ? 'API key' : 'OAuth token'} ${mask(value)} for profile "${profile.name}" (${where === 'keyring' ? 'keyring' : deps.keys.file(profile.name)}).\nUse it with: authkeep exec --profile ${profile.name} -- <command>\n`,
  )
  return ExitCode.ok
}
