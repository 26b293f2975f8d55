import type { Socket } from 'node:net'
import * as z from 'zod/mini'
import { tokenSyntaxProblem } from '../oauth/tokenResponse.js'
import { printable } from '../printable.js'
import { PROFILE_NAME } from '../profiles/profile.js'
import { fieldPath, jsonProblem } from '../validation.js'

// One JSON line each way per connection. Versioned so a laptop and a remote on different authkeep
// releases fail with a clear `unsupported_version` instead of a confusing field error.
export const PROTOCOL_VERSION = 1
/** A request is a few dozen bytes; anything near this is not ours and is cut off unread. */
export const MAX_REQUEST_BYTES = 4096
/** A response carries one access token (JWTs can be several KiB) and some metadata. */
export const MAX_RESPONSE_BYTES = 64 * 1024

export const requestSchema = z.strictObject({
  v: z.number(),
  op: z.literal('token'),
  profile: z.string().check(z.regex(PROFILE_NAME, 'is not a valid profile name')),
  force: z.optional(z.boolean()),
  /** What the remote calls itself: shown to the person confirming; informative, not trusted. */
  host: z.optional(z.string().check(z.maxLength(255))),
})
export type AgentRequest = z.output<typeof requestSchema>

export type AgentErrorCode =
  | 'bad_request'
  | 'unsupported_version'
  | 'profile_not_served'
  | 'peer_refused'
  | 'denied'
  | 'login_required'
  | 'server_unavailable'
  | 'locked'
  | 'internal'

export interface AgentError {
  v: number
  error: AgentErrorCode
  description: string
}

export interface AgentToken {
  v: number
  access_token: string
  /** Codex's login only: Codex reads its account from the ID token and keeps it beside the access token. */
  id_token?: string
  token_type: string
  expires_at?: string
  scope?: string
  source: 'cached' | 'adopted' | 'refreshed'
}

export type AgentResponse = AgentError | AgentToken

export const responseSchema = z.union([
  z.looseObject({
    v: z.number(),
    error: z.string(),
    description: z.string(),
  }),
  z.looseObject({
    v: z.number(),
    access_token: z.string().check(z.minLength(1)),
    id_token: z.optional(z.string().check(z.minLength(1))),
    token_type: z.string(),
    expires_at: z.optional(z.iso.datetime({ offset: true })),
    scope: z.optional(z.string()),
    source: z.enum(['cached', 'adopted', 'refreshed']),
  }),
])

export function agentError(error: AgentErrorCode, description: string): AgentError {
  return { v: PROTOCOL_VERSION, error, description }
}

export type Parsed = { ok: true; request: AgentRequest } | { ok: false; response: AgentError }

/** Validates one request line. Problems are described by position and field, never by quoting input. */
export function parseRequest(line: string): Parsed {
  if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) {
    return fail('bad_request', `request longer than ${MAX_REQUEST_BYTES} bytes`)
  }
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch (err) {
    return fail('bad_request', `request is ${jsonProblem(err)}`)
  }
  // The version is checked before the shape, so a future request with new fields is told the real reason.
  const v = (json as { v?: unknown } | null)?.v
  if (typeof v !== 'number') return fail('bad_request', 'request has no version field "v"')
  if (v !== PROTOCOL_VERSION) {
    return fail(
      'unsupported_version',
      `protocol version ${v} is not supported (this agent speaks ${PROTOCOL_VERSION}); use the same authkeep release on both machines`,
    )
  }
  const result = requestSchema.safeParse(json)
  if (!result.success) {
    const issue = result.error.issues[0]
    return fail('bad_request', `field "${fieldPath(issue?.path)}": ${issue?.message ?? 'invalid'}`)
  }
  const { host } = result.data
  // Shown in the confirmation question and the log: the peer's words, never its terminal commands.
  return { ok: true, request: host === undefined ? result.data : { ...result.data, host: printable(host) } }
}

/**
 * The remote's side: a response line, validated before anything in it is used. A token outside RFC
 * 6750's syntax is no answer (`token` would print it raw); the agent's description is made printable.
 */
export function parseResponse(line: string): AgentResponse | undefined {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    return undefined
  }
  const result = responseSchema.safeParse(json)
  if (!result.success) return undefined
  const r = result.data as AgentResponse
  if (isError(r)) return { ...r, description: printable(r.description, 300) }
  return tokenSyntaxProblem(r) ? undefined : r
}

function fail(error: AgentErrorCode, description: string): Parsed {
  return { ok: false, response: agentError(error, description) }
}

export function isError(r: AgentResponse): r is AgentError {
  return 'error' in r
}

export type Line = { ok: true; text: string } | { ok: false; why: string }

/** One newline-terminated line, at most `max` bytes, within `timeoutMs`. */
export function readLine(socket: Socket, max: number, timeoutMs: number): Promise<Line> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const finish = (line: Line) => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('close', onEnd)
      resolve(line)
    }
    const onData = (chunk: Buffer) => {
      const nl = chunk.indexOf(0x0a)
      const part = nl === -1 ? chunk : chunk.subarray(0, nl)
      size += part.length
      if (size > max) return finish({ ok: false, why: `line longer than ${max} bytes` })
      chunks.push(part)
      if (nl !== -1) finish({ ok: true, text: Buffer.concat(chunks).toString('utf8') })
    }
    const onEnd = () => finish({ ok: false, why: 'the connection ended before a complete line' })
    const timer = setTimeout(
      () => finish({ ok: false, why: `no complete line within ${timeoutMs} ms` }),
      timeoutMs,
    )
    socket.on('data', onData)
    socket.on('end', onEnd)
    socket.on('close', onEnd)
    // Handing the socket to a child's stdio (the peer check) pauses it explicitly, and an explicitly
    // paused stream does not start flowing when a 'data' listener is added.
    socket.resume()
  })
}
