import { lstat, unlink } from 'node:fs/promises'
import { connect } from 'node:net'
import { hostname } from 'node:os'
import { basename } from 'node:path'
import {
  type AgentErrorCode,
  type AgentRequest,
  isError,
  MAX_RESPONSE_BYTES,
  PROTOCOL_VERSION,
  parseResponse,
  readLine,
} from '../agent/protocol.js'
import type { Deps } from '../deps.js'
import { AuthkeepError, type ExitCode as Code, ExitCode } from '../errors.js'
import type { Profile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import type { TokenResult } from '../stores/usable.js'

/** Longer than the agent's own bounds: its confirmation prompt (60 s) or a refresh under a busy lock. */
const RESPONSE_TIMEOUT_MS = 90_000

/** The name `authkeep ssh` gives each session's forwarded socket (see remoteSocketPath). */
const FORWARDED_SOCKET = /^authkeep-agent-[0-9a-f]{24}\.sock$/

const FORWARD_FIX = 'authkeep ssh USER@HOST (on the machine running `authkeep agent`)'

/**
 * The agent is unreachable: exit 6, "could not be reached, temporary", as for an authorization server
 * that is down. It is not 4: the login is fine, it lives on the laptop, and a login here would mint a
 * second grant instead of reconnecting the one that exists.
 */
export class AgentUnreachableError extends AuthkeepError {
  constructor(socketPath: string, why: string) {
    super(
      `AUTHKEEP_AGENT_SOCK=${socketPath}: the authkeep agent is not reachable (${why}); the SSH session that forwarded it ended or the agent stopped`,
      { exitCode: ExitCode.unavailable, next: FORWARD_FIX },
    )
  }
}

/** Asks the forwarded agent for a fresh access token; the local store is not read or written. */
export async function tokenFromAgent(
  deps: Deps,
  profile: Profile,
  socketPath: string,
  force: boolean,
): Promise<TokenResult> {
  const request: AgentRequest = {
    v: PROTOCOL_VERSION,
    op: 'token',
    profile: profile.name,
    host: hostname(),
    ...(force ? { force } : {}),
  }
  const line = await exchange(socketPath, `${JSON.stringify(request)}\n`, deps.uid)
  const response = parseResponse(line)
  if (!response) throw new AgentUnreachableError(socketPath, 'it sent an answer this authkeep cannot read')
  if (isError(response))
    throw fromAgentError(profile.name, response.error as AgentErrorCode, response.description)
  const now = deps.clock.now()
  return {
    source: response.source,
    credential: {
      profile: profile.name,
      state: 'active',
      stateReason: undefined,
      tokenType: response.token_type,
      accessToken: new Secret(response.access_token),
      refreshToken: undefined,
      idToken: response.id_token ? new Secret(response.id_token) : undefined,
      scope: response.scope,
      expiresAt: response.expires_at ? new Date(response.expires_at) : undefined,
      refreshExpiresAt: undefined,
      obtainedAt: now,
      updatedAt: now,
      host: deps.host,
      secretsIn: 'file',
      extra: {},
    },
  }
}

function fromAgentError(profile: string, code: AgentErrorCode, description: string): AuthkeepError {
  const exit: Record<string, Code> = {
    login_required: ExitCode.loginRequired,
    server_unavailable: ExitCode.unavailable,
    locked: ExitCode.locked,
  }
  const next: Record<string, string> = {
    profile_not_served: `authkeep agent --profile ${profile} (on the agent's machine)`,
    unsupported_version: 'npm install -g authkeep@latest (on both machines)',
    peer_refused: FORWARD_FIX,
    denied: `authkeep token --profile ${profile} (and answer y at the agent's terminal)`,
  }
  return new AuthkeepError(`the authkeep agent refused: ${description}`, {
    exitCode: exit[code] ?? ExitCode.error,
    next: next[code],
  })
}

/** One request line out, one response line back, bounded in size and time. */
async function exchange(socketPath: string, request: string, uid: number): Promise<string> {
  try {
    const st = await lstat(socketPath)
    // The socket sshd made for us is ours; one owned by someone else could be an impostor handing out
    // tokens of its choosing.
    if (!st.isSocket()) throw new AgentUnreachableError(socketPath, 'not a socket')
    if (uid >= 0 && st.uid !== uid) {
      throw new AuthkeepError(
        `AUTHKEEP_AGENT_SOCK=${socketPath} belongs to uid ${st.uid}, not to you (uid ${uid}); refusing to use it`,
        { exitCode: ExitCode.config, next: FORWARD_FIX },
      )
    }
  } catch (err) {
    if (err instanceof AuthkeepError) throw err
    throw new AgentUnreachableError(socketPath, (err as NodeJS.ErrnoException).code ?? 'cannot stat')
  }
  const socket = connect(socketPath)
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
  } catch (err) {
    socket.destroy()
    const code = (err as NodeJS.ErrnoException).code
    // Nothing listens: the session that forwarded this per-session path is gone for good. Its file,
    // ours (checked above), would only pile up in /tmp.
    if (code === 'ECONNREFUSED' && FORWARDED_SOCKET.test(basename(socketPath)))
      await unlink(socketPath).catch(() => {})
    throw new AgentUnreachableError(socketPath, code ?? 'connect failed')
  }
  socket.on('error', () => {})
  socket.write(request)
  const line = await readLine(socket, MAX_RESPONSE_BYTES, RESPONSE_TIMEOUT_MS)
  socket.destroy()
  if (!line.ok) throw new AgentUnreachableError(socketPath, `no answer: ${line.why}`)
  return line.text
}
