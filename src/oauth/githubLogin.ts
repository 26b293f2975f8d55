import * as z from 'zod/mini'
import { ServerUnavailableError } from '../errors.js'
import type { Secret } from '../secret.js'
import { httpTimeoutSeconds } from './httpTimeout.js'

const userSchema = z.looseObject({ login: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/)) })

/**
 * The GitHub login a token belongs to (GitHub's `GET /user`), which Copilot CLI files its token under.
 * GitHub's token answer does not say it.
 */
export async function githubLogin(userEndpoint: string, token: Secret, profile: string): Promise<string> {
  const again = `authkeep login --profile ${profile}`
  let response: Response
  try {
    response = await fetch(userEndpoint, {
      headers: { authorization: `Bearer ${token.reveal()}`, accept: 'application/json' },
      signal: AbortSignal.timeout(httpTimeoutSeconds() * 1000),
    })
  } catch (err) {
    throw new ServerUnavailableError(
      `cannot ask ${userEndpoint} which GitHub user the token of profile "${profile}" belongs to (${(err as Error).message}); nothing was stored`,
      again,
      err,
    )
  }
  const body: unknown = await response.json().catch(() => undefined)
  const parsed = userSchema.safeParse(body)
  if (!response.ok || !parsed.success) {
    throw new ServerUnavailableError(
      `${userEndpoint} did not say which GitHub user the token of profile "${profile}" belongs to (HTTP ${response.status}); nothing was stored`,
      again,
    )
  }
  return parsed.data.login
}
