import type { TokenEndpointResponse } from 'openid-client'
import type { Deps } from '../deps.js'
import { AuthkeepError, CancelledError, ExitCode, UsageError } from '../errors.js'
import { readFileIfExists } from '../files/atomicFile.js'
import { chooseMethod, type LoginMethod, type RequestedMethod } from '../oauth/chooseMethod.js'
import { issuedTokens } from '../oauth/client.js'
import { deviceLogin } from '../oauth/deviceFlow.js'
import { handoffLogin } from '../oauth/handoffFlow.js'
import { loopbackLogin } from '../oauth/loopbackFlow.js'
import { DeviceLoginDisabledError, openaiDeviceLogin } from '../oauth/openaiDeviceFlow.js'
import { pasteLogin } from '../oauth/pasteFlow.js'
import { describeFailure, refusedAnswer, toAuthkeepError } from '../oauth/protocolErrors.js'
import { revokeToken } from '../oauth/revocation.js'
import { credentialFromTokens } from '../oauth/tokenResponse.js'
import { LONG_LIVED } from '../profiles/claudeCode.js'
import type { Profile, StorePreference } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import { backupExisting } from '../stores/backups.js'
import type { Credential } from '../stores/credential.js'
import { KeyringUnavailableError } from '../stores/keyring.js'
import type { StoredKey } from '../stores/keyStore.js'
import { discoverMissingMetadata } from './addProfile.js'
import { withClientSecret } from './clientSecret.js'
import { withCredentialLock } from './credentialLock.js'
import { backupKeyFile } from './keys.js'

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
      .credentialsOf(profile)
      .probeKeyring()
      .catch((err: unknown) => keyringRefused(err, profile.name))
  // What the login will back up and replace, read as the save will read it: a FIFO, a device or another
  // user's file there is refused now, before the person approves anything, rather than after.
  const file = deps.credentialsOf(profile).file
  if (file) await readFileIfExists(file)
  // Copilot's file holds other logins and settings beside this one: it must be readable to be updated.
  if (profile.kind === 'copilot') await deps.credentialsOf(profile).read()
  const tokens = await obtainTokens(deps, profile, input)
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
  const stored = await withCredentialLock(deps, profile, () =>
    storeLogin(deps, profile, credential, preference),
  )
  const until = stored.expiresAt ? `; access token valid until ${stored.expiresAt.toISOString()}` : ''
  io.err(
    `✓ Logged in: profile "${profile.name}"${until}; secrets in ${deps.credentialsOf(profile).describe(stored)}.\n`,
  )
  return stored
}

/**
 * Runs the chosen flow (falling back when the server refuses its grant type) and returns the token
 * response; `tokenParams` go to the token endpoint with the code (Claude's long-lived `expires_in`).
 */
export async function obtainTokens(
  deps: Deps,
  configured: Profile,
  input: LoginInput,
  tokenParams: Record<string, string> = {},
): Promise<TokenEndpointResponse> {
  const { io } = deps
  const profile = await discoverMissingMetadata(deps, await withClientSecret(deps, configured))
  const choice = chooseMethod(deps.env, profile, input.method)
  io.err(`Signing in to profile "${profile.name}" with the ${choice.method} flow (${choice.reason}).\n`)
  const signal = AbortSignal.timeout(input.timeoutSeconds * 1000)

  const run = (method: LoginMethod): Promise<TokenEndpointResponse> => {
    if (method === 'device')
      return profile.kind === 'codex'
        ? openaiDeviceLogin(io, profile, signal)
        : deviceLogin(io, profile, signal)
    if (method === 'paste') return pasteLogin(io, deps.prompter, profile, signal, tokenParams)
    if (method === 'handoff') return handoffLogin(io, deps.prompter, profile, signal, tokenParams)
    return loopbackLogin(deps, profile, { port: input.port ?? profile.loopbackPort, signal, tokenParams })
  }

  try {
    try {
      return await run(choice.method)
    } catch (err) {
      const disabled = err instanceof DeviceLoginDisabledError
      if (!choice.fallback || !(disabled || grantTypeRefused(err))) throw err
      if (disabled) io.err(`! ${err.message}.\n`)
      io.err(`The server refused the ${choice.method} flow; falling back to the ${choice.fallback} flow.\n`)
      return await run(choice.fallback)
    }
  } catch (err) {
    if (signal.aborted) {
      throw new CancelledError(
        `no sign-in within ${input.timeoutSeconds}s; nothing was stored`,
        `authkeep login --profile ${profile.name} --timeout ${input.timeoutSeconds * 2}`,
      )
    }
    const refused = refusedAnswer(err)
    if (refused) throw await refusedGrant(profile, refused, err)
    throw toAuthkeepError(err, {
      profile: profile.name,
      action: 'complete the login',
      next: `authkeep login --profile ${profile.name}`,
    })
  }
}

/**
 * The server issued tokens but this client refused its answer (an ID token it cannot accept): nothing
 * is stored, and the grant the server already made is revoked rather than left valid there, or the
 * message says that it could not be.
 */
async function refusedGrant(profile: Profile, refused: string, cause: unknown): Promise<AuthkeepError> {
  const { refreshToken, accessToken } = issuedTokens(profile)
  const raw = refreshToken ?? accessToken
  const token = raw === undefined ? undefined : new Secret(raw)
  let grant = ''
  if (token && !profile.endpoints.revocation) {
    grant =
      '; the server has no revocation endpoint, so the grant it issued stays valid there until it expires'
  } else if (token) {
    const outcome = await revokeToken(profile, token, refreshToken ? 'refresh_token' : 'access_token')
    grant = outcome.revoked
      ? '; the grant the server issued was revoked'
      : `; the grant the server issued could not be revoked (${outcome.why}) and stays valid there until it expires`
  }
  return new AuthkeepError(
    `the server's answer was refused here, so nothing was stored: ${refused}${grant}`,
    { next: `authkeep profile show ${profile.name}`, cause },
  )
}

/** Keeps a backup of what the login replaces, then stores in the keyring when it works, else in the file. */
export async function storeLogin(
  deps: Deps,
  profile: Profile,
  credential: Credential,
  preference: StorePreference,
): Promise<Credential> {
  const store = deps.credentialsOf(profile)
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

/**
 * `claude setup-token` done by authkeep: a login for an inference-only token that lasts a year, kept
 * as the profile's key (Claude reads it from CLAUDE_CODE_OAUTH_TOKEN via `authkeep exec`), never in
 * Claude's credential file, whose rotating login it would otherwise replace.
 */
export async function loginLongLived(deps: Deps, profile: Profile, input: LoginInput): Promise<StoredKey> {
  if (profile.kind !== 'claude-code') {
    throw new UsageError(
      '--long-lived is for the claude-code profile',
      `authkeep login --profile ${profile.name}`,
    )
  }
  const tokens = await obtainTokens(
    deps,
    { ...profile, scope: profile.longLivedScope ?? LONG_LIVED.scope },
    input,
    {
      expires_in: String(LONG_LIVED.expiresIn),
    },
  )
  const now = deps.clock.now()
  const key = {
    kind: 'oauth_token' as const,
    value: tokens.access_token,
    expiresAt: new Date(now.getTime() + (tokens.expires_in ?? LONG_LIVED.expiresIn) * 1000),
  }
  await backupKeyFile(deps, profile.name, 'replaced')
  const secretsIn = await deps.keys.set(profile.name, key, input.store ?? 'auto', now)
  deps.io.err(
    `✓ Long-lived token for profile "${profile.name}" stored (${secretsIn === 'keyring' ? 'keyring' : deps.keys.file(profile.name)}), valid until ${key.expiresAt.toISOString()}.\nUse it with: authkeep exec --profile ${profile.name} -- claude\n`,
  )
  return { ...key, secretsIn }
}
