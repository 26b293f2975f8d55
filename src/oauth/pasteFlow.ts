import * as oidc from 'openid-client'
import { AuthkeepError, ExitCode } from '../errors.js'
import type { Io } from '../ports/io.js'
import type { Prompter } from '../ports/prompter.js'
import type { Profile } from '../profiles/profile.js'
import { authorizationRequest, clientConfig, codeGrantChecks } from './client.js'
import { type PastedAuthorization, PasteError, parsePasted } from './pastedInput.js'

/** A loopback address nothing listens on: the browser fails to load it and its address bar holds the code. */
export const DEFAULT_PASTE_REDIRECT = 'http://127.0.0.1/callback'

/** Authorization code + PKCE where the browser is on another machine and the result is pasted back. */
export async function pasteLogin(
  io: Io,
  prompter: Prompter,
  profile: Profile,
  signal?: AbortSignal,
  tokenParams: Record<string, string> = {},
): Promise<oidc.TokenEndpointResponse> {
  const config = clientConfig(profile)
  const redirectUri = profile.pasteRedirectUri ?? DEFAULT_PASTE_REDIRECT
  const { url, verifier, state, nonce } = await authorizationRequest(config, profile, redirectUri)
  io.err(
    [
      '',
      'Open this URL in a browser on any machine and approve:',
      '',
      `  ${url.href}`,
      '',
      'The browser then goes to a page that may fail to load. Copy its whole address from the address bar',
      '(or the code the page shows) and paste it here.',
      '',
    ].join('\n'),
  )
  const again = `authkeep login --profile ${profile.name} --method paste`
  return redeemPasted(
    { config, profile, redirectUri, verifier, state, nonce, tokenParams },
    await readPasted(prompter, 'Paste the URL or code: ', again, signal),
    again,
  )
}

/** Reads what the person pasted; input that is no code is a usage error, and nothing is stored. */
export async function readPasted(
  prompter: Prompter,
  question: string,
  again: string,
  signal?: AbortSignal,
): Promise<PastedAuthorization> {
  try {
    return parsePasted(await prompter.line(question, signal))
  } catch (err) {
    if (err instanceof PasteError) {
      throw new AuthkeepError(`${err.message}; nothing was stored`, { exitCode: ExitCode.usage, next: again })
    }
    throw err
  }
}

export interface PendingAuthorization {
  config: oidc.Configuration
  profile: Profile
  redirectUri: string
  verifier: string
  state: string
  nonce: string | undefined
  tokenParams: Record<string, string>
}

/**
 * Checks the pasted state against this login's (a mismatch may be someone else's login: CSRF) and
 * exchanges the code with the verifier that never left this process.
 */
export function redeemPasted(
  pending: PendingAuthorization,
  pasted: PastedAuthorization,
  again: string,
): Promise<oidc.TokenEndpointResponse> {
  const { config, profile, redirectUri, state } = pending
  if (pasted.state !== undefined && pasted.state !== state) {
    throw new AuthkeepError(
      'the pasted state does not belong to this login, so it may come from someone else (possible CSRF); nothing was stored',
      { next: again },
    )
  }
  const callback = new URL(redirectUri)
  callback.searchParams.set('code', pasted.code)
  // A bare code carries no state; PKCE still binds the code to this process's verifier.
  callback.searchParams.set('state', state)
  const iss = pasted.iss ?? (profile.issParameterSupported ? config.serverMetadata().issuer : undefined)
  if (iss) callback.searchParams.set('iss', iss)
  return oidc.authorizationCodeGrant(config, callback, codeGrantChecks(pending), pending.tokenParams)
}
