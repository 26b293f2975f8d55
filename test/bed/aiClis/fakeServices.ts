// A local stand-in for what Gemini CLI and Copilot CLI talk to besides the token endpoint: GitHub's
// device flow and user API (in GitHub's own dialect: errors with HTTP 200), and Google's Code Assist
// API as far as `gemini -p` needs it. Every request is appended to a JSONL log, so a test can assert
// exactly which credential each CLI sent.
import { appendFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'

export interface RecordedRequest {
  method: string
  path: string
  authorization: string | undefined
  contentType: string | undefined
  body: string
}

/** The GitHub token the fake device flow issues, and the login it belongs to. */
export const FAKE_GITHUB = { token: 'gho_authkeepFakeDeviceToken0123456789', login: 'octocat' }
/** The built-in copilot profile, pointed at the fake GitHub at `url`. */
export const copilotAt = (url: string) => ({
  issuer: url,
  device_authorization_endpoint: `${url}/login/device/code`,
  token_endpoint: `${url}/login/oauth/access_token`,
  userinfo_endpoint: `${url}/user`,
})
export const FAKE_GEMINI_REPLY = 'pong from the fake code assist'
/** What the fake Google token endpoint issues when Gemini CLI refreshes by itself. */
export const GEMINI_OWN_REFRESH = 'ya29.refreshedByGeminiCliItself-0123456789'
/**
 * Google's hosts Gemini CLI's OAuth client talks to, hard-coded in it: reached only through this fake as
 * HTTPS_PROXY, which intercepts them with a throwaway CA (as the Claude harness does for Claude's).
 */
export const GOOGLE_HOSTS = ['oauth2.googleapis.com', 'www.googleapis.com']

export interface FakeServices {
  port: number
  close(): Promise<void>
}

export async function startFakeServices(opts: {
  logFile: string
  port?: number
  tls?: { key: string; cert: string }
}): Promise<FakeServices> {
  let polls = 0
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d: string) => {
      body += d
    })
    req.on('end', () => {
      const entry: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      }
      appendFileSync(opts.logFile, `${JSON.stringify(entry)}\n`)
      answer(req, res, body, () => ++polls)
    })
  }
  const server = createServer(onRequest)
  const tlsServer = opts.tls ? createTlsServer(opts.tls) : undefined
  // Node's https server would do, but only its 'secureConnection' sockets are needed: hand them to http.
  tlsServer?.on('secureConnection', (socket) => server.emit('connection', socket))
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const target = req.url ?? ''
    const intercept = tlsServer && GOOGLE_HOSTS.includes(target.replace(/:443$/, ''))
    appendFileSync(
      opts.logFile,
      `${JSON.stringify({ method: 'CONNECT', path: target, authorization: undefined, contentType: undefined, body: intercept ? 'intercepted' : 'refused' })}\n`,
    )
    if (!intercept) return socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n')
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    if (head.length > 0) socket.unshift(head)
    tlsServer.emit('connection', socket)
  })
  await new Promise<void>((done) => server.listen(opts.port ?? 0, '127.0.0.1', done))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}

function answer(req: IncomingMessage, res: ServerResponse, body: string, poll: () => number) {
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(value))
  }
  const path = (req.url ?? '').split('?')[0] ?? ''
  const origin = `http://${req.headers.host}`
  const bearer = req.headers.authorization?.replace(/^(bearer|token) /i, '')
  const github = bearer === FAKE_GITHUB.token
  // GitHub's device flow (RFC 8628), answered as GitHub does: pending and errors come with HTTP 200.
  if (path === '/login/device/code') {
    return json(200, {
      device_code: 'fake-device-code',
      user_code: 'FAKE-0001',
      verification_uri: `${origin}/login/device`,
      expires_in: 900,
      interval: 1,
    })
  }
  if (path === '/login/oauth/access_token') {
    const form = new URLSearchParams(body)
    if (form.get('device_code') !== 'fake-device-code') return json(200, { error: 'bad_verification_code' })
    if (poll() < 2) return json(200, { error: 'authorization_pending', error_description: 'pending' })
    return json(200, { access_token: FAKE_GITHUB.token, token_type: 'bearer', scope: 'read:user,repo' })
  }
  if (path === '/user') return github ? json(200, { login: FAKE_GITHUB.login, id: 1 }) : json(401, {})
  if (path === '/copilot_internal/user') {
    return github
      ? json(200, { login: FAKE_GITHUB.login, copilot_plan: 'individual', endpoints: { api: origin } })
      : json(401, { message: 'Bad credentials' })
  }
  // Google's OAuth endpoints, as Gemini's google-auth-library uses them (through the proxy).
  if (req.headers.host === 'oauth2.googleapis.com' && path === '/token') {
    const form = new URLSearchParams(body)
    if (form.get('grant_type') !== 'refresh_token') return json(400, { error: 'unsupported_grant_type' })
    return json(200, {
      access_token: GEMINI_OWN_REFRESH,
      expires_in: 3599,
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      token_type: 'Bearer',
    })
  }
  if (req.headers.host === 'oauth2.googleapis.com' && path === '/tokeninfo') {
    return json(200, {
      aud: 'gemini',
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      expires_in: 3000,
      access_type: 'offline',
    })
  }
  if (req.headers.host === 'www.googleapis.com' && path.startsWith('/oauth2/')) {
    return json(200, { id: '1', email: 'person@example.com', verified_email: true })
  }
  // Google's Code Assist API (CODE_ASSIST_ENDPOINT), the calls `gemini -p` makes.
  if (path.endsWith(':loadCodeAssist')) {
    return json(200, {
      currentTier: { id: 'standard-tier', name: 'Standard' },
      cloudaicompanionProject: 'fake-project',
      allowedTiers: [{ id: 'standard-tier', isDefault: true }],
    })
  }
  if (path.endsWith(':retrieveUserQuota') || path.endsWith(':listExperiments')) return json(200, {})
  const reply = {
    response: {
      candidates: [
        { content: { role: 'model', parts: [{ text: FAKE_GEMINI_REPLY }] }, finishReason: 'STOP', index: 0 },
      ],
      usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
    },
  }
  if (path.endsWith(':streamGenerateContent')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.end(`data: ${JSON.stringify(reply)}\n\n`)
    return
  }
  if (path.endsWith(':generateContent')) return json(200, reply)
  json(404, { message: 'Not Found' })
}
