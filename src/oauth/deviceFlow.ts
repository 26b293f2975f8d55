import * as oidc from 'openid-client'
import type { Io } from '../ports/io.js'
import { printable } from '../printable.js'
import type { Profile } from '../profiles/profile.js'
import { qrText } from '../ui/qr.js'
import { startSpinner } from '../ui/spinner.js'
import { clientConfig } from './client.js'

/**
 * RFC 8628. openid-client's poller honours `interval`, `slow_down` (+5 s) and `expires_in`
 * (its default abort signal), so none of that is re-implemented here.
 */
export async function deviceLogin(
  io: Io,
  profile: Profile,
  signal?: AbortSignal,
): Promise<oidc.TokenEndpointResponse> {
  const config = clientConfig(profile)
  const params: Record<string, string> = profile.scope ? { scope: profile.scope } : {}
  const da = await oidc.initiateDeviceAuthorization(config, params)
  const complete = da.verification_uri_complete
  io.err(
    [
      '',
      // The server's words, shown to a person: printable, whatever the server sent.
      `To sign in, open ${printable(da.verification_uri)}`,
      `and enter the code: ${printable(da.user_code)}`,
      ...(complete
        ? [`Or open this link, which carries the code: ${printable(complete)}`, qrText(complete)]
        : []),
      `The code expires in ${Math.round(da.expires_in / 60)} min.`,
      '',
    ].join('\n'),
  )
  const spinner = startSpinner(io, 'Waiting for approval in the browser…')
  try {
    const tokens = await oidc.pollDeviceAuthorizationGrant(config, da, undefined, signal ? { signal } : {})
    spinner.stop('Approved.')
    return tokens
  } catch (err) {
    spinner.stop()
    throw err
  }
}
