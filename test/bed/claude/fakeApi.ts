// A stand-in for the Anthropic API on 127.0.0.1, so the real Claude Code CLI can run offline and
// every credential it sends is written down. ANTHROPIC_BASE_URL points at it directly; the OAuth
// hosts, which no variable can redirect, reach it as an HTTPS proxy that terminates TLS for them.
import { appendFileSync, readFileSync } from 'node:fs'
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { messageJson, messageSse } from './messageReplies.js'
import { INVALID_GRANT, issueTokens, MITM_HOSTS, PROFILE, ROLES, TOKEN_HOST } from './oauthReplies.js'

export interface RecordedRequest {
  at: number
  host: string
  method: string
  path: string
  status: number
  authorization?: string
  xApiKey?: string
  anthropicBeta?: string
  // Token endpoint only: the refresh token presented and the access token handed out for it.
  refreshToken?: string
  issuedAccessToken?: string
}

// Re-read from disk on every request, so a test can steer a fake that runs in another process.
export interface FakeApiBehaviour {
  // Bare tokens or keys the API accepts; anything else gets 401. Absent: everything is accepted.
  // Tokens this fake issues on refresh are always accepted.
  allow?: string[]
  // Bare tokens the API refuses with 401 all the same (a revoked one): the CLI then refreshes.
  deny?: string[]
  token?: 'ok' | 'invalid_grant'
  tokenDelayMs?: number
  // A real authorization server's token endpoint, reached through a Unix socket (the namespace has no
  // route out; a socket file crosses it): refreshes go there instead of being invented here.
  tokenUpstream?: { socket: string; path: string; host: string }
}

export interface FakeApiOptions {
  logFile: string
  behaviourFile?: string
  // Certificate for the OAuth hosts, signed by a CA the CLI trusts through NODE_EXTRA_CA_CERTS.
  tls?: { key: string; cert: string }
  port?: number
}

export interface FakeApi {
  port: number
  url: string
  close(): Promise<void>
}

const MAX_BODY = 4 * 1024 * 1024

function readBehaviour(file: string | undefined): FakeApiBehaviour {
  if (!file) return {}
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as FakeApiBehaviour
  } catch {
    return {}
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
      if (body.length > MAX_BODY) req.destroy(new Error('body too large'))
    })
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}

function parseJson(body: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(body)
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

function credentialsOf(req: IncomingMessage): string[] {
  const auth = header(req, 'authorization')
  const bearer = auth?.match(/^Bearer (.+)$/i)?.[1]
  return [bearer, header(req, 'x-api-key')].filter((v): v is string => Boolean(v))
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Claude's refresh, passed on to the real server: its client id and refresh token as sent; its scope
 * (Claude always asks for its full production list) left out, so the grant's own scope applies.
 */
function forwardToken(
  upstream: NonNullable<FakeApiBehaviour['tokenUpstream']>,
  body: Record<string, unknown>,
): Promise<{ status: number; json: unknown }> {
  const { scope: _scope, ...rest } = body
  const payload = JSON.stringify(rest)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        socketPath: upstream.socket,
        path: upstream.path,
        method: 'POST',
        headers: {
          host: upstream.host,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
        timeout: 10_000,
      },
      (res) => {
        readBody(res)
          .then((text) => resolve({ status: res.statusCode ?? 502, json: parseJson(text) }))
          .catch(reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('token upstream timed out')))
    req.on('error', reject)
    req.end(payload)
  })
}

export function startFakeApi(opts: FakeApiOptions): Promise<FakeApi> {
  const issued = new Set<string>()
  const sockets = new Set<Socket>()

  const record = (req: IncomingMessage, status: number, extra: Partial<RecordedRequest> = {}) => {
    const entry: RecordedRequest = {
      at: Date.now(),
      host: header(req, 'host') ?? '',
      method: req.method ?? '',
      path: req.url ?? '',
      status,
      authorization: header(req, 'authorization'),
      xApiKey: header(req, 'x-api-key'),
      anthropicBeta: header(req, 'anthropic-beta'),
      ...extra,
    }
    // Synchronous, and before the reply: the line is on disk by the time the CLI can exit.
    appendFileSync(opts.logFile, `${JSON.stringify(entry)}\n`)
  }

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_fake' })
    res.end(JSON.stringify(body))
  }

  const tokenEndpoint = async (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) => {
    const behaviour = readBehaviour(opts.behaviourFile)
    if (behaviour.tokenDelayMs) await sleep(behaviour.tokenDelayMs)
    const refreshToken = typeof body.refresh_token === 'string' ? body.refresh_token : undefined
    if (behaviour.token === 'invalid_grant') {
      record(req, 400, { refreshToken })
      return send(res, 400, INVALID_GRANT)
    }
    if (behaviour.tokenUpstream) {
      const answer = await forwardToken(behaviour.tokenUpstream, body)
      const issuedAccess = (answer.json as { access_token?: unknown }).access_token
      if (typeof issuedAccess === 'string') issued.add(issuedAccess)
      record(req, answer.status, {
        refreshToken,
        issuedAccessToken: typeof issuedAccess === 'string' ? issuedAccess : undefined,
      })
      return send(res, answer.status, answer.json)
    }
    const tokens = issueTokens(body.scope)
    issued.add(tokens.access_token)
    record(req, 200, { refreshToken, issuedAccessToken: tokens.access_token })
    send(res, 200, tokens)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req)
    const url = new URL(req.url ?? '/', 'http://fake')
    const host = (header(req, 'host') ?? '').replace(/:\d+$/, '')
    if (host === TOKEN_HOST && url.pathname === '/v1/oauth/token')
      return tokenEndpoint(req, res, parseJson(body))

    if (req.method === 'HEAD') {
      record(req, 200)
      return res.writeHead(200).end()
    }
    const { allow, deny } = readBehaviour(opts.behaviourFile)
    const refused = deny && credentialsOf(req).some((c) => deny.includes(c))
    if (refused || (allow && !credentialsOf(req).some((c) => allow.includes(c) || issued.has(c)))) {
      record(req, 401)
      return send(res, 401, {
        type: 'error',
        error: { type: 'authentication_error', message: 'invalid x-api-key' },
      })
    }
    record(req, 200)
    if (url.pathname === '/v1/messages/count_tokens') return send(res, 200, { input_tokens: 1 })
    if (url.pathname === '/v1/messages') {
      const request = parseJson(body)
      const model = typeof request.model === 'string' ? request.model : 'claude-fake'
      if (request.stream !== true) return send(res, 200, messageJson(model))
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      return res.end(messageSse(model))
    }
    if (url.pathname === '/api/oauth/profile') return send(res, 200, PROFILE)
    if (url.pathname === '/api/oauth/claude_cli/roles') return send(res, 200, ROLES)
    if (url.pathname.startsWith('/v1/mcp_servers')) return send(res, 200, { data: [], has_more: false })
    send(res, 200, {})
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        send(res, 500, { type: 'error', error: { type: 'api_error', message: String(err) } })
      else res.destroy()
    })
  }

  const server: Server = createServer(onRequest)
  const tlsServer = opts.tls
    ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest)
    : undefined

  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  // Only the OAuth hosts are intercepted; a tunnel anywhere else is refused, and written down so a
  // test can see what the CLI tried to reach.
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const target = req.url ?? ''
    const host = target.replace(/:\d+$/, '')
    const intercept = tlsServer && MITM_HOSTS.includes(host) && target.endsWith(':443')
    appendFileSync(
      opts.logFile,
      `${JSON.stringify({ at: Date.now(), host: target, method: 'CONNECT', path: target, status: intercept ? 200 : 403 })}\n`,
    )
    if (!intercept) return socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n')
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    if (head.length > 0) socket.unshift(head)
    tlsServer.emit('connection', socket)
  })

  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy()
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}
