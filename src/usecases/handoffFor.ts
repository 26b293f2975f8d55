import type { Deps } from '../deps.js'
import { AuthkeepError, ExitCode } from '../errors.js'
import { payload } from '../handoff/payload.js'
import { remoteCommand } from '../handoff/remoteWriter.js'
import { assertTarget, runOverSsh } from '../handoff/sshProgram.js'
import { credentialFromTokens } from '../oauth/tokenResponse.js'
import type { Config } from '../profiles/configFile.js'
import type { Profile } from '../profiles/profile.js'
import { type LoginInput, obtainTokens } from './login.js'

/**
 * `login --for user@host`: a fresh login here (never a copy of this machine's own grant, whose
 * refresh token rotates) delivered over the user's ssh on stdin. This machine's record is not touched.
 */
export async function loginFor(
  deps: Deps,
  config: Config,
  profile: Profile,
  target: string,
  input: LoginInput,
): Promise<void> {
  assertTarget(target)
  const { io } = deps
  io.err(`A new login for profile "${profile.name}" on ${target}; this machine's own login is not used.\n`)
  const tokens = await obtainTokens(deps, profile, input)
  const credential = credentialFromTokens(tokens, {
    profile: profile.name,
    now: deps.clock.now(),
    host: deps.host,
    secretsIn: 'file',
  })
  io.err(`Delivering it to ${target} over ssh (on stdin; the command line holds only the profile name) …\n`)
  const kinds = {
    'claude-code': 'claude',
    codex: 'codex',
    gemini: 'gemini',
    copilot: 'copilot',
    oauth: 'record',
  } as const
  const kind = kinds[profile.kind]
  const code = await runOverSsh(
    deps.processEnv,
    target,
    remoteCommand(profile.name, kind),
    payload(config, profile, credential),
    (t) => io.err(t),
  )
  if (code !== 0) {
    throw new AuthkeepError(
      `delivering the login to ${target} failed (ssh exited ${code}); it was not stored there nor here`,
      { exitCode: ExitCode.error, next: `authkeep login --for ${target} --profile ${profile.name}` },
    )
  }
  io.err(
    `✓ Logged in on ${target}: profile "${profile.name}", a grant of its own (check there with: authkeep status --profile ${profile.name}).\n`,
  )
}
