import { randomInt } from 'node:crypto'
import type * as oidc from 'openid-client'
import type { Io } from '../ports/io.js'
import type { Prompter } from '../ports/prompter.js'
import type { Profile } from '../profiles/profile.js'
import { authorizationRequest, clientConfig } from './client.js'
import { encodeRequest } from './handoffBlob.js'
import { readPasted, redeemPasted } from './pasteFlow.js'

/**
 * `login --method handoff`, on the machine without a browser: it builds the authorization request
 * and keeps the PKCE verifier; the laptop gets only the authorize URL (public parameters), runs
 * the browser on a loopback port of its own, and hands back code#state, which is exchanged here.
 */
export async function handoffLogin(
  io: Io,
  prompter: Prompter,
  profile: Profile,
  signal?: AbortSignal,
  tokenParams: Record<string, string> = {},
): Promise<oidc.TokenEndpointResponse> {
  const config = clientConfig(profile)
  // The laptop listens on this port: chosen here, because the code exchange must name the same URI;
  // the profile's own where its server matches redirect URIs exactly.
  const port = profile.loopbackPort ?? randomInt(20_000, 60_000)
  const redirectUri = `http://127.0.0.1:${port}/callback`
  const { url, verifier, state, nonce } = await authorizationRequest(config, profile, redirectUri)
  const blob = encodeRequest({ v: 1, profile: profile.name, url: url.href })
  io.err(
    [
      '',
      'On a machine with a browser and authkeep (your laptop), run:',
      '',
      `  authkeep login --complete-handoff ${blob}`,
      '',
      'It opens the browser there and prints one line; paste that line here.',
      '(The line it needs stays on this machine: the PKCE verifier never leaves it.)',
      '',
    ].join('\n'),
  )
  const again = `authkeep login --profile ${profile.name} --method handoff`
  return redeemPasted(
    { config, profile, redirectUri, verifier, state, nonce, tokenParams },
    await readPasted(prompter, 'Paste the line from the laptop: ', again, signal),
    again,
  )
}
