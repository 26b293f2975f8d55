import type { TokenEndpointResponse } from 'openid-client'
import type { Deps } from '../deps.js'
import { AuthkeepError, CancelledError, ExitCode, UsageError } from '../errors.js'
import { chooseMethod, type LoginMethod, type RequestedMethod } from '../oauth/chooseMethod.js'
import { deviceLogin } from '../oauth/deviceFlow.js'
import { loopbackLogin } from '../oauth/loopbackFlow.js'
import { pasteLogin } from '../oauth/pasteFlow.js'
import { describeFailure, toAuthkeepError } from '../oauth/protocolErrors.js'
import { credentialFromTokens } from '../oauth/tokenResponse.js'
import type { Profile, StorePreference } from '../profiles/profile.js'
import { backupExisting } from '../stores/backups.js'
import type { Credential } from '../stores/credential.js'
import { KeyringUnavailableError } from '../stores/keyring.js'
import { withCredentialLock } from './credentialLock.js'

export interface LoginInput {
  method: RequestedMethod
  port: number | undefined
  timeoutSeconds: number
  store: StorePreference | undefined
}

/** Errors that mean "this server does not do that grant" rather than "try again later". */
function grantTypeRefused(err: unknown): boolean {
  const f = describeFailure(err)
  if (!f || f.transient) return false
  return (
    ['unauthorized_client', 'unsupported_grant_type', 'invalid_client', 'invalid_request'].includes(
      f.error ?? '',
    ) ||
    f.status === 404 ||
    f.status === 405
  )
}

export async function login(deps: Deps, profile: Profile, input: LoginInput): Promise<Credential> {
  const { io } = deps
  if (profile.kind === 'claude-code' && input.store && input.store !== 'file') {
    throw new UsageError(
      'Claude Code reads its login only from its own credential file, so --store cannot move it',
      `authkeep login --profile ${profile.name}`,
    )
  }
  const preference = input.store ?? profile.store
  // Asked for the keyring only: find out before the person approves anything, not after.
  if (preference === 'keyring')
    await deps
      .storeFor(profile)
      .probeKeyring()
      .catch((err: unknown) => keyringRefused(err, profile.name))
  const choice = chooseMethod(deps.env, profile, input.method)
  io.err(`Signing in to profile "${profile.name}" with the ${choice.method} flow (${choice.reason}).\n`)
  const signal = AbortSignal.timeout(input.timeoutSeconds * 1000)

  const run = (method: LoginMethod): Promise<TokenEndpointResponse> => {
    if (method === 'device') return deviceLogin(io, profile, signal)
    if (method === 'paste') return pasteLogin(io, deps.prompter, profile, signal)
    return loopbackLogin(deps, profile, { port: input.port, signal })
  }

  let tokens: TokenEndpointResponse
  try {
    try {
      tokens = await run(choice.method)
    } catch (err) {
      if (!choice.fallback || !grantTypeRefused(err)) throw err
      io.err(`The server refused the ${choice.method} flow; falling back to the ${choice.fallback} flow.\n`)
      tokens = await run(choice.fallback)
    }
  } catch (err) {
    if (signal.aborted) {
      throw new CancelledError(
        `no sign-in within ${input.timeoutSeconds}s; nothing was stored`,
        `authkeep login --profile ${profile.name} --timeout ${input.timeoutSeconds * 2}`,
      )
    }
    throw toAuthkeepError(err, {
      profile: profile.name,
      action: 'complete the login',
      next: `authkeep login --profile ${profile.name}`,
    })
  }

  if (!tokens.refresh_token) {
    io.err(
      `! The server issued no refresh token: this login ends when the access token expires. Ask for the "offline_access" scope if the server supports it.\n`,
    )
  }
  const now = deps.clock.now()
  const credential = credentialFromTokens(tokens, {
    profile: profile.name,
    now,
    host: deps.host,
    secretsIn: 'file',
  })
  const stored = await withCredentialLock(deps, profile, () => save(deps, profile, credential, preference))
  const until = stored.expiresAt ? `; access token valid until ${stored.expiresAt.toISOString()}` : ''
  io.err(
    `✓ Logged in: profile "${profile.name}"${until}; secrets in ${deps.storeFor(profile).describe(stored)}.\n`,
  )
  return stored
}

/** Keeps a backup of what the login replaces, then stores in the keyring when it works, else in the file. */
async function save(
  deps: Deps,
  profile: Profile,
  credential: Credential,
  preference: StorePreference,
): Promise<Credential> {
  const store = deps.storeFor(profile)
  await backupExisting(deps.paths, store, credential.profile, 'login', deps.clock.now())
  if (preference !== 'file') {
    const inKeyring = { ...credential, secretsIn: 'keyring' as const }
    try {
      await store.write(inKeyring)
      return inKeyring
    } catch (err) {
      if (!(err instanceof KeyringUnavailableError)) throw err
      if (preference === 'keyring') keyringRefused(err, credential.profile)
      deps.io.err(`! ${err.message}; storing the tokens in a 0600 file instead.\n`)
    }
  }
  await store.write(credential)
  return credential
}

function keyringRefused(err: unknown, profile: string): never {
  if (!(err instanceof KeyringUnavailableError)) throw err
  throw new AuthkeepError(`${err.message}; nothing was stored`, {
    exitCode: ExitCode.error,
    next: `authkeep login --profile ${profile} --store file`,
  })
}
