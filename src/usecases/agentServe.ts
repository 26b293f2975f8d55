import type { AgentRequest, AgentResponse } from '../agent/protocol.js'
import { agentError, PROTOCOL_VERSION } from '../agent/protocol.js'
import type { Deps } from '../deps.js'
import { AuthkeepError, LockTimeoutError, LoginRequiredError, ServerUnavailableError } from '../errors.js'
import type { Profile } from '../profiles/profile.js'
import { getToken } from './getToken.js'

export interface PeerInfo {
  pid: number
  uid: number
  label: string
}

/** Asks the person at the agent's terminal; resolves false on "no", on no answer in time, or on EOF. */
export type Confirm = (question: string) => Promise<boolean>

export interface AgentPolicy {
  /** The profiles this agent was started for; nothing else is served. */
  served: Map<string, Profile>
  confirm?: Confirm
}

/**
 * Serves one validated request: only a served profile, only after confirmation when asked for, and
 * only through getToken, so every refresh happens here under the credential's lock and the refresh
 * token never leaves this machine. Errors travel as {error, description}; no token is ever in one.
 */
export function agentService(deps: Deps, policy: AgentPolicy) {
  // "Yes" is remembered per forwarding connection (the ssh process) and profile, for the agent's life:
  // the remote may ask every few minutes, and a new `authkeep ssh` session asks again.
  const allowed = new Set<string>()
  // One question on the terminal at a time.
  let queue: Promise<unknown> = Promise.resolve()

  const confirmOnce = (request: AgentRequest, peer: PeerInfo): Promise<boolean> => {
    const confirm = policy.confirm
    if (!confirm) return Promise.resolve(true)
    const key = `${peer.pid}\0${request.host ?? ''}\0${request.profile}`
    const asked = queue.then(async () => {
      if (allowed.has(key)) return true
      const host = request.host ? `host "${request.host}"` : 'an unnamed host'
      const ok = await confirm(
        `authkeep agent: give an access token for profile "${request.profile}" to ${host} via ${peer.label}? [y/N] `,
      )
      if (ok) allowed.add(key)
      return ok
    })
    queue = asked.catch(() => false)
    return asked.catch(() => false)
  }

  return async (request: AgentRequest, peer: PeerInfo): Promise<AgentResponse> => {
    const profile = policy.served.get(request.profile)
    if (!profile) {
      return agentError(
        'profile_not_served',
        `this agent does not serve profile "${request.profile}" (it serves: ${[...policy.served.keys()].join(', ')})`,
      )
    }
    if (!(await confirmOnce(request, peer))) {
      return agentError(
        'denied',
        `the person at the agent declined (or did not answer) for profile "${profile.name}"`,
      )
    }
    try {
      const { credential, source } = await getToken(deps, profile, { force: request.force === true })
      const token = credential.accessToken?.reveal()
      if (!token) return agentError('login_required', `profile "${profile.name}" has no access token`)
      return {
        v: PROTOCOL_VERSION,
        access_token: token,
        // Codex takes its account from the ID token, so a remote's Codex needs it beside the access token.
        ...(profile.kind === 'codex' && credential.idToken ? { id_token: credential.idToken.reveal() } : {}),
        token_type: credential.tokenType,
        ...(credential.expiresAt ? { expires_at: credential.expiresAt.toISOString() } : {}),
        ...(credential.scope ? { scope: credential.scope } : {}),
        source,
      }
    } catch (err) {
      return asAgentError(err)
    }
  }
}

/** AuthkeepError messages are one line and never hold a secret; anything else is described generically. */
export function asAgentError(err: unknown): AgentResponse {
  if (err instanceof AuthkeepError) {
    const text = `${err.message}${err.next ? `; on the agent's machine run: ${err.next}` : ''}`
    if (err instanceof LoginRequiredError) return agentError('login_required', text)
    if (err instanceof ServerUnavailableError) return agentError('server_unavailable', text)
    if (err instanceof LockTimeoutError) return agentError('locked', text)
    return agentError('internal', text)
  }
  return agentError('internal', 'unexpected error in the agent (see its terminal with AUTHKEEP_DEBUG=1)')
}
