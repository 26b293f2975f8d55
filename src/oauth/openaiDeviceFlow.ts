import * as oidc from 'openid-client'
import * as z from 'zod/mini'
import { AuthkeepError, ServerUnavailableError } from '../errors.js'
import type { Io } from '../ports/io.js'
import { printable } from '../printable.js'
import type { Profile } from '../profiles/profile.js'
import { startSpinner } from '../ui/spinner.js'
import { clientConfig } from './client.js'
import { httpTimeoutSeconds } from './httpTimeout.js'

/** OpenAI answers the user-code request this way when the account (or workspace) has device login off. */
export class DeviceLoginDisabledError extends AuthkeepError {}

const interval = z.optional(z.union([z.number(), z.string()]))
const userCodeAnswer = z.looseObject({
  device_auth_id: z.string().check(z.minLength(1)),
  user_code: z.optional(z.string()),
  usercode: z.optional(z.string()),
  interval,
})
const codeAnswer = z.looseObject({
  authorization_code: z.string().check(z.minLength(1)),
  code_verifier: z.string().check(z.minLength(1)),
})

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(signal.reason)
      },
      { once: true },
    )
  })

/**
 * OpenAI's device login, as Codex's `login --device-auth` does it (not RFC 8628): a JSON user-code
 * request, a page at <issuer>/codex/device where the person enters the code, a poll that answers 403/404
 * until then and finally an authorization code with its PKCE verifier, which is exchanged at the token
 * endpoint (form body) with the redirect URI <issuer>/deviceauth/callback.
 */
export async function openaiDeviceLogin(
  io: Io,
  profile: Profile,
  signal?: AbortSignal,
): Promise<oidc.TokenEndpointResponse> {
  const userCodeUrl = profile.endpoints.deviceAuthorization as string
  const pollUrl = userCodeUrl.replace(/\/usercode$/, '/token')
  const origin = new URL(userCodeUrl).origin
  const again = `authkeep login --profile ${profile.name}`
  const post = (url: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: signal
        ? AbortSignal.any([signal, AbortSignal.timeout(httpTimeoutSeconds() * 1000)])
        : AbortSignal.timeout(httpTimeoutSeconds() * 1000),
    })
  const started = await post(userCodeUrl, { client_id: profile.clientId })
  if (started.status === 404) {
    throw new DeviceLoginDisabledError(
      `device code login is not enabled for this account at ${origin} (HTTP 404); turn on "Enable device code authorization for Codex" in ChatGPT Settings → Security (a workspace admin may have to allow it), or sign in with the paste flow`,
      { next: `authkeep login --profile ${profile.name} --method paste` },
    )
  }
  const da = userCodeAnswer.safeParse(await answer(started, userCodeUrl, again))
  if (!da.success || !(da.data.user_code ?? da.data.usercode)) {
    throw new ServerUnavailableError(`${userCodeUrl} answered without a device_auth_id and user_code`, again)
  }
  const userCode = (da.data.user_code ?? da.data.usercode) as string
  const seconds = Number(da.data.interval ?? 5)
  const everyMs = Math.max(200, (Number.isFinite(seconds) ? seconds : 5) * 1000)
  io.err(
    [
      '',
      `To sign in, open ${origin}/codex/device`,
      `and enter the code: ${printable(userCode)}`,
      '(Device code login must be turned on in ChatGPT Settings → Security.)',
      '',
    ].join('\n'),
  )
  const spinner = startSpinner(io, 'Waiting for approval in the browser…')
  try {
    for (;;) {
      await sleep(everyMs, signal)
      const polled = await post(pollUrl, { device_auth_id: da.data.device_auth_id, user_code: userCode })
      // Not approved yet.
      if (polled.status === 403 || polled.status === 404) {
        await polled.body?.cancel()
        continue
      }
      const code = codeAnswer.safeParse(await answer(polled, pollUrl, again))
      if (!code.success) {
        throw new ServerUnavailableError(
          `${pollUrl} answered without an authorization_code and code_verifier`,
          again,
        )
      }
      spinner.stop('Approved.')
      const callback = new URL(`${origin}/deviceauth/callback`)
      callback.searchParams.set('code', code.data.authorization_code)
      return await oidc.authorizationCodeGrant(clientConfig(profile), callback, {
        pkceCodeVerifier: code.data.code_verifier,
      })
    }
  } finally {
    spinner.stop()
  }
}

async function answer(res: Response, url: string, again: string): Promise<unknown> {
  if (!res.ok) {
    await res.body?.cancel()
    const err = `${url} answered HTTP ${res.status}`
    if (res.status >= 500 || res.status === 429) throw new ServerUnavailableError(err, again)
    throw new AuthkeepError(err, { next: again })
  }
  try {
    return await res.json()
  } catch {
    throw new ServerUnavailableError(`${url} answered with no JSON`, again)
  }
}
