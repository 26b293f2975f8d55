// A stand-in for OpenAI's sign-in server and Responses API on 127.0.0.1, so the real Codex CLI and
// authkeep can run offline against the same token endpoint, and every refresh and every bearer sent is
// written down. Its answers follow what Codex 0.16x–0.17x was observed to send and accept
// (/work/shared/context/other-ai-clis.md §1): rotating refresh tokens, reuse refused with 401
// `refresh_token_reused`, JWT access tokens whose `exp` is the expiry, OpenAI's device login.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { appendFileSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'

export const FAKE_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann'
export const FAKE_ACCOUNT_ID = 'acct-fake-0001'

export interface RecordedRequest {
  at: number
  method: string
  path: string
  status: number
  contentType?: string
  authorization?: string
  userAgent?: string
  grantType?: string
  clientId?: string
  /** Token endpoint: the refresh token presented and the access token handed out for it. */
  refreshToken?: string
  issuedAccessToken?: string
  /** Authorization endpoint: the query it was sent. */
  query?: Record<string, string>
  /** Device login: the code the person is shown, so a test can play the person. */
  userCode?: string
}

/** Re-read from disk on every request, so a test can steer a fake that runs in another process. */
export interface FakeOpenAiBehaviour {
  /** Seconds an issued access token lives (default 3600). */
  accessTtlSeconds?: number
  /** Holds every refresh answer this long, so two refreshes can be made to overlap. */
  tokenDelayMs?: number
  /** 'off': the device login answers 404, as for an account that has not turned it on; 'down': 503. */
  deviceAuth?: 'on' | 'off' | 'down'
  /** Refresh tokens of hand-written auth.json files, accepted (once each) as if this server had issued them. */
  acceptRefreshTokens?: string[]
}

export interface FakeOpenAiOptions {
  logFile: string
  behaviourFile?: string
  port?: number
}

export interface FakeOpenAi {
  port: number
  url: string
  close(): Promise<void>
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url')

/** An unsigned JWT, as Codex accepts it (it does not verify signatures): for hand-written auth.json. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.c2ln`
}

/** Codex's auth.json for a ChatGPT login, as its login leaves it. */
export function codexAuthJson(o: {
  accessToken: string
  refreshToken: string
  idToken?: string
  lastRefresh?: string
}) {
  return {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token:
        o.idToken ??
        unsignedJwt({
          email: 'dev@example.test',
          'https://api.openai.com/auth': { chatgpt_account_id: FAKE_ACCOUNT_ID, chatgpt_plan_type: 'plus' },
        }),
      access_token: o.accessToken,
      refresh_token: o.refreshToken,
      account_id: FAKE_ACCOUNT_ID,
    },
    last_refresh: o.lastRefresh ?? new Date().toISOString(),
  }
}

/** An access token as OpenAI issues them: a JWT whose `exp` is its expiry. */
export function accessTokenJwt(expSeconds: number, jti = randomBytes(6).toString('hex')): string {
  return unsignedJwt({
    exp: expSeconds,
    iat: Math.floor(Date.now() / 1000),
    jti,
    'https://api.openai.com/auth': { chatgpt_account_id: FAKE_ACCOUNT_ID },
  })
}

function readBehaviour(file: string | undefined): FakeOpenAiBehaviour {
  if (!file) return {}
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as FakeOpenAiBehaviour
  } catch {
    return {}
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
      if (body.length > 1024 * 1024) req.destroy(new Error('body too large'))
    })
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}

function fields(req: IncomingMessage, body: string): Record<string, string> {
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    try {
      const v = JSON.parse(body) as Record<string, unknown>
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]))
    } catch {
      return {}
    }
  }
  return Object.fromEntries(new URLSearchParams(body))
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A Responses API stream with one assistant message, as Codex reads it. */
function responseSse(text: string): string {
  const id = `resp_${randomBytes(4).toString('hex')}`
  const events = [
    { type: 'response.created', response: { id } },
    {
      type: 'response.output_item.done',
      item: {
        type: 'message',
        role: 'assistant',
        id: `msg_${id}`,
        content: [{ type: 'output_text', text }],
      },
    },
    {
      type: 'response.completed',
      response: {
        id,
        usage: {
          input_tokens: 1,
          input_tokens_details: null,
          output_tokens: 1,
          output_tokens_details: null,
          total_tokens: 2,
        },
      },
    },
  ]
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('')
}

/** authkeep's config.json with the built-in codex profile pointed at a fake at `url`; all else as shipped. */
export async function writeCodexConfig(
  authkeepHome: string,
  url: string,
  more: Record<string, string> = {},
): Promise<void> {
  await mkdir(authkeepHome, { recursive: true })
  const codex = {
    issuer: url,
    authorization_endpoint: `${url}/oauth/authorize`,
    token_endpoint: `${url}/oauth/token`,
    device_authorization_endpoint: `${url}/api/accounts/deviceauth/usercode`,
    ...more,
  }
  await writeFile(join(authkeepHome, 'config.json'), JSON.stringify({ version: 1, profiles: { codex } }))
}

export function startFakeOpenAi(opts: FakeOpenAiOptions): Promise<FakeOpenAi> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const sockets = new Set<Socket>()
  /** Refresh tokens the server still accepts; a used one moves to `spent`. */
  const live = new Set<string>()
  const spent = new Set<string>()
  const codes = new Map<string, { challenge: string; redirectUri: string; nonce?: string }>()
  const devices = new Map<string, { userCode: string; approved: boolean }>()
  let origin = ''

  const record = (req: IncomingMessage, status: number, extra: Partial<RecordedRequest> = {}) => {
    const entry: RecordedRequest = {
      at: Date.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      status,
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      userAgent: req.headers['user-agent'],
      ...extra,
    }
    appendFileSync(opts.logFile, `${JSON.stringify(entry)}\n`)
  }
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  const idToken = (nonce?: string) => {
    const now = Math.floor(Date.now() / 1000)
    const header = b64url({ alg: 'RS256', typ: 'JWT', kid: 'fake' })
    const claims = b64url({
      iss: origin,
      aud: [FAKE_CLIENT_ID],
      sub: 'user-fake',
      iat: now,
      exp: now + 3600,
      email: 'dev@example.test',
      ...(nonce ? { nonce } : {}),
      'https://api.openai.com/auth': { chatgpt_account_id: FAKE_ACCOUNT_ID, chatgpt_plan_type: 'plus' },
    })
    const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), privateKey).toString('base64url')
    return `${header}.${claims}.${signature}`
  }

  const issue = (nonce?: string) => {
    const ttl = readBehaviour(opts.behaviourFile).accessTtlSeconds ?? 3600
    const refresh = `rt-${randomBytes(12).toString('hex')}`
    live.add(refresh)
    return {
      id_token: idToken(nonce),
      access_token: accessTokenJwt(Math.floor(Date.now() / 1000) + ttl),
      refresh_token: refresh,
      token_type: 'Bearer',
      expires_in: ttl,
    }
  }

  const token = async (req: IncomingMessage, res: ServerResponse, f: Record<string, string>) => {
    const base = { grantType: f.grant_type, clientId: f.client_id }
    if (f.client_id !== FAKE_CLIENT_ID) {
      record(req, 401, base)
      return send(res, 401, { error: 'invalid_client' })
    }
    if (f.grant_type === 'refresh_token') {
      const behaviour = readBehaviour(opts.behaviourFile)
      const presented = f.refresh_token ?? ''
      if (!spent.has(presented) && behaviour.acceptRefreshTokens?.includes(presented)) live.add(presented)
      if (!live.has(presented)) {
        record(req, 401, { ...base, refreshToken: presented })
        return send(res, 401, {
          error: {
            message: spent.has(presented)
              ? 'Your refresh token has already been used to generate a new access token. Please try signing in again.'
              : 'Could not validate your refresh token. Please try signing in again.',
            type: 'invalid_request_error',
            param: null,
            code: spent.has(presented) ? 'refresh_token_reused' : 'refresh_token_invalidated',
          },
        })
      }
      live.delete(presented)
      spent.add(presented)
      const tokens = issue()
      record(req, 200, { ...base, refreshToken: presented, issuedAccessToken: tokens.access_token })
      return send(res, 200, tokens)
    }
    if (f.grant_type === 'authorization_code') {
      const pending = codes.get(f.code ?? '')
      codes.delete(f.code ?? '')
      if (
        !pending ||
        pending.redirectUri !== f.redirect_uri ||
        pending.challenge !== s256(f.code_verifier ?? '')
      ) {
        record(req, 400, base)
        return send(res, 400, {
          error: 'invalid_grant',
          error_description: 'bad code, redirect_uri or verifier',
        })
      }
      const tokens = issue(pending.nonce)
      record(req, 200, { ...base, issuedAccessToken: tokens.access_token })
      return send(res, 200, tokens)
    }
    record(req, 400, base)
    send(res, 400, { error: 'unsupported_grant_type' })
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const delay = req.url === '/oauth/token' ? readBehaviour(opts.behaviourFile).tokenDelayMs : undefined
    if (delay) {
      // Held before the request is read, as a slow network or server would: a client that dies meanwhile
      // never reaches the token logic, and no grant is spent for it.
      await sleep(delay)
      if (req.socket.destroyed) return record(req, 499)
    }
    const body = await readBody(req)
    const url = new URL(req.url ?? '/', origin)
    const path = url.pathname
    if (req.method === 'POST' && path === '/oauth/token') return token(req, res, fields(req, body))
    if (req.method === 'GET' && path === '/oauth/authorize') {
      const q = Object.fromEntries(url.searchParams)
      const redirect = q.redirect_uri ?? ''
      if (
        q.client_id !== FAKE_CLIENT_ID ||
        q.code_challenge_method !== 'S256' ||
        !q.code_challenge ||
        !redirect
      ) {
        record(req, 400, { query: q })
        return send(res, 400, { error: 'invalid_request' })
      }
      const code = `code-${randomBytes(8).toString('hex')}`
      codes.set(code, { challenge: q.code_challenge, redirectUri: redirect, nonce: q.nonce })
      const to = new URL(redirect)
      to.searchParams.set('code', code)
      if (q.state) to.searchParams.set('state', q.state)
      record(req, 302, { query: q })
      res.writeHead(302, { location: to.href })
      return res.end()
    }
    if (req.method === 'POST' && path === '/api/accounts/deviceauth/usercode') {
      const f = fields(req, body)
      if (readBehaviour(opts.behaviourFile).deviceAuth === 'down') {
        record(req, 503, { clientId: f.client_id })
        return send(res, 503, { error: { message: 'upstream unavailable' } })
      }
      if (readBehaviour(opts.behaviourFile).deviceAuth === 'off') {
        record(req, 404, { clientId: f.client_id })
        return send(res, 404, { error: { message: 'Not found' } })
      }
      const id = `dev-${randomBytes(6).toString('hex')}`
      const userCode = randomBytes(4).toString('hex').toUpperCase()
      devices.set(id, { userCode, approved: false })
      record(req, 200, { clientId: f.client_id, userCode })
      return send(res, 200, { device_auth_id: id, user_code: userCode, interval: '0' })
    }
    if (req.method === 'POST' && path === '/api/accounts/deviceauth/token') {
      const f = fields(req, body)
      const device = devices.get(f.device_auth_id ?? '')
      if (!device || device.userCode !== f.user_code || !device.approved) {
        record(req, 403)
        return send(res, 403, { error: { message: 'authorization pending' } })
      }
      devices.delete(f.device_auth_id ?? '')
      const verifier = randomBytes(32).toString('base64url')
      const code = `code-${randomBytes(8).toString('hex')}`
      codes.set(code, { challenge: s256(verifier), redirectUri: `${origin}/deviceauth/callback` })
      record(req, 200)
      return send(res, 200, {
        authorization_code: code,
        code_challenge: s256(verifier),
        code_verifier: verifier,
      })
    }
    // The page where the person enters the code; here a GET with it approves the login.
    if (req.method === 'GET' && path === '/codex/device') {
      const userCode = url.searchParams.get('user_code') ?? ''
      const device = [...devices.values()].find((d) => d.userCode === userCode)
      if (device) device.approved = true
      record(req, device ? 200 : 404)
      return send(res, device ? 200 : 404, { approved: Boolean(device) })
    }
    if (req.method === 'POST' && path === '/v1/responses') {
      record(req, 200)
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      return res.end(responseSse('pong from the fake'))
    }
    record(req, 404)
    send(res, 404, { error: { message: `no ${path} here` } })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { message: String(err) } })
      else res.destroy()
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      origin = `http://127.0.0.1:${port}`
      resolve({
        port,
        url: origin,
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
