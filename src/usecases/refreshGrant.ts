import { stat } from 'node:fs/promises'
import * as oidc from 'openid-client'
import type { Deps } from '../deps.js'
import { AuthkeepError, CancelledError, LoginRequiredError, ServerUnavailableError } from '../errors.js'
import { assertRoomFor } from '../files/atomicFile.js'
import { clientConfig } from '../oauth/client.js'
import { describeFailure, refusedAnswer, toAuthkeepError } from '../oauth/protocolErrors.js'
import { DEFAULT_RETRY, withRetry } from '../oauth/retry.js'
import { refreshTokenIn, type TokenAnswers, watchTokenAnswers } from '../oauth/tokenAnswers.js'
import { credentialFromTokens, tokenSyntaxProblem } from '../oauth/tokenResponse.js'
import type { Profile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import type { Credential } from '../stores/credential.js'
import type { CredentialStore } from '../stores/store.js'
import { withClientSecret } from './clientSecret.js'

/**
 * One refresh-token grant for `current`, written atomically; the lock is held by the caller. Loaded only
 * by the process that refreshes: its waiters never load the protocol library.
 */
export async function refreshGrant(
  deps: Deps,
  profile: Profile,
  store: CredentialStore,
  current: Credential,
): Promise<Credential> {
  const refreshToken = current.refreshToken
  if (!refreshToken) {
    throw new LoginRequiredError(
      profile.name,
      `the access token of profile "${profile.name}" expired and there is no refresh token`,
    )
  }
  // A rotated refresh token that cannot be saved is gone for good: make sure it could be, first.
  const file = store.file
  if (file) await assertRoomFor(file, 2 * ((await stat(file).catch(() => undefined))?.size ?? 0) + 4096)
  const config = clientConfig(await withClientSecret(deps, profile))
  const watched = watchTokenAnswers(profile.endpoints.token, config[oidc.customFetch])
  config[oidc.customFetch] = watched.fetch
  const { answers } = watched
  // A server may quote what it refused (its error_description), and the reason is stored for `status`.
  const sent = [refreshToken, current.accessToken]
  const kept = () =>
    `the record of profile "${profile.name}" is as it was before this refresh; if the server had already replaced its refresh token, run: authkeep login --profile ${profile.name}`
  // From the request leaving to the rotated token written, a signal waits: an exit in between spends the
  // grant, and the next command would find only the refresh token the server no longer accepts.
  return deps.interrupts.shield(async (interrupted) => {
    if (interrupted.aborted)
      throw new CancelledError(`the refresh of profile "${profile.name}" was not started`)
    let tokens: oidc.TokenEndpointResponse
    try {
      tokens = await withRetry(
        async () => {
          answers.lastOk = undefined
          try {
            return await oidc.refreshTokenGrant(
              config,
              refreshToken.reveal(),
              profile.refreshScope ? { scope: profile.refreshScope } : undefined,
            )
          } catch (err) {
            // A 200 means the server took the refresh token: trying it again cannot work on a server that
            // rotates, and on one that detects reuse it would revoke the whole grant.
            throw answers.lastOk === undefined ? err : new UnreadableAnswer(err)
          }
        },
        DEFAULT_RETRY,
        (ms, err) =>
          deps.io.err(
            `authkeep: the token endpoint failed (${describeFailure(err, sent)?.description ?? 'no details'}); retrying in ${(ms / 1000).toFixed(1)}s\n`,
          ),
        interrupted,
      )
    } catch (err) {
      if (err instanceof UnreadableAnswer)
        return keepWhatCanBeKept(deps, profile, store, current, answers, err)
      const mapped = toAuthkeepError(err, {
        profile: profile.name,
        action: 'refresh the token',
        next: `authkeep refresh --profile ${profile.name}`,
        secrets: sent,
      })
      if (mapped instanceof LoginRequiredError) await markLoginRequired(deps, store, current, mapped.message)
      throw mapped
    }
    for (const note of answers.notes)
      deps.io.err(`authkeep: profile "${profile.name}": the server's ${note}\n`)
    // A token that could drive a terminal is never stored, yet the answer rotated the grant: keep its
    // refresh token (when that one is clean) rather than refuse the whole answer and lose the login.
    const problem = tokenSyntaxProblem(tokens)
    if (problem)
      return keepWhatCanBeKept(
        deps,
        profile,
        store,
        current,
        answers,
        new UnreadableAnswer(undefined, problem),
      )
    const next = credentialFromTokens(tokens, {
      profile: profile.name,
      now: deps.clock.now(),
      host: deps.host,
      secretsIn: current.secretsIn,
      previous: current,
    })
    // Written even if a stale-lock takeover happened meanwhile: the old refresh token is spent, so this
    // new grant is the only one left worth keeping.
    await store.write(next)
    return next
  }, kept)
}

/** A 200 from the token endpoint that openid-client could not accept. */
class UnreadableAnswer extends Error {
  constructor(cause: unknown, reason = protocolReason(cause)) {
    super(reason)
    Object.defineProperty(this, 'cause', { value: cause, enumerable: false })
  }
}

/**
 * What oauth4webapi found wrong ("\"response\" body \"access_token\" property must be a string"), under
 * openid-client's generic wrapper; never a JSON parser's message, which quotes the body and its tokens.
 */
function protocolReason(err: unknown): string {
  let reason = 'an answer openid-client does not accept'
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 6;
    i++
  ) {
    if (typeof e.code === 'string' && e.code.startsWith('OAUTH_') && typeof e.message === 'string')
      reason = e.message
    e = e.cause as typeof e
  }
  return reason
}

/**
 * The server answered 200, so the old refresh token is likely spent, but the answer could not be used.
 * A new refresh token that can still be read from it is kept (without the access token nobody checked),
 * so the next refresh uses it; with none, the record is kept and marked as needing a login.
 */
async function keepWhatCanBeKept(
  deps: Deps,
  profile: Profile,
  store: CredentialStore,
  current: Credential,
  answers: TokenAnswers,
  err: UnreadableAnswer,
): Promise<never> {
  const refused = refusedAnswer(err.cause)
  const why = `the server answered the refresh of profile "${profile.name}" with HTTP 200, but its answer ${refused ? `was refused here (${refused})` : `could not be read (${err.message})`}`
  const rotated = refreshTokenIn(answers.lastOk)
  answers.lastOk = undefined
  if (!rotated) {
    const message = `${why}; the refresh token it replaced may be spent, so the login is marked as needing a new one`
    await markLoginRequired(deps, store, current, message)
    throw new LoginRequiredError(profile.name, message, err)
  }
  const now = deps.clock.now()
  await store.write({
    ...current,
    accessToken: undefined,
    expiresAt: undefined,
    refreshToken: new Secret(rotated),
    refreshExpiresAt: undefined,
    obtainedAt: now,
    updatedAt: now,
    host: deps.host,
  })
  const kept = `${why}; the new refresh token in it was kept for the next refresh`
  // An ID token this client refuses (its algorithm, issuer, nonce) will be refused again: not "try later".
  if (refused) throw new AuthkeepError(kept, { next: `authkeep profile show ${profile.name}`, cause: err })
  throw new ServerUnavailableError(kept, `authkeep refresh --profile ${profile.name}`, err)
}

/** Keeps the record, so what was there can still be seen and restored; only marks it as needing login. */
async function markLoginRequired(
  deps: Deps,
  store: CredentialStore,
  current: Credential,
  reason: string,
): Promise<void> {
  const latest = await store.read()
  // A peer that took a stale lock over may have written a good grant meanwhile: never clobber it.
  if (!latest || latest.updatedAt.getTime() !== current.updatedAt.getTime()) return
  const now = deps.clock.now()
  await store.write({
    ...current,
    state: 'login_required',
    stateReason: `${reason} (seen ${now.toISOString()})`,
    updatedAt: now,
  })
}
