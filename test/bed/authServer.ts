import { generateKeyPairSync } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type Provider from 'oidc-provider'
import { type Fault, type FaultRule, holdBody, serveFault, type TimerSet } from './faults.js'
import { quietOidcProvider } from './quietOidc.js'

export type { Fault, FaultRule }

export interface AuthServerOptions {
  // seconds; defaults 60, 86400, 600, 86400, 60
  ttl?: {
    accessToken?: number
    refreshToken?: number
    deviceCode?: number
    grant?: number
    authorizationCode?: number
  }
  deviceInterval?: number
  // Accept Claude-style JSON token requests too, handing them to oidc-provider as the form it expects.
  jsonTokenRequests?: boolean
  rotateRefreshToken?: boolean
  clientId?: string
  deviceFlow?: boolean
  scopes?: string[]
  // What an independently written server may do differently from the defaults above (issue 13).
  interop?: InteropOptions
  // oidc-provider's in-memory store keeps the 1000 most recent entries; runs with hundreds of grants
  // need more, or their refresh tokens are evicted ("refresh token not found").
  storeSize?: number
}

export interface InteropOptions {
  /** Signs ID tokens with this algorithm only, and says so in discovery. HS256 needs `clientSecret`. */
  idTokenAlg?: 'ES256' | 'PS256' | 'EdDSA' | 'HS256'
  /** A confidential client: the token (and revocation) endpoint requires this secret. */
  clientSecret?: string
  /** How the confidential client authenticates; discovery then lists only this (and `none`). */
  authMethod?: 'client_secret_basic' | 'client_secret_post'
  /** Refuses an OpenID authorization request without a nonce, as several servers do. */
  requireNonce?: boolean
  /**
   * The revocation endpoint answers 401 (text/plain, WWW-Authenticate: Basic) to a request without
   * client authentication, and discovery lists only client_secret_basic for it.
   */
  revocationRequiresClientAuth?: boolean
  /** A web client whose redirect URIs are matched exactly: no RFC 8252 any-port loopback. */
  exactRedirectUris?: string[]
  /** A faulty server (or a meddler): the ID token carries this nonce instead of the one asked for. */
  replaceNonce?: string
  /** Takes authorization requests only pushed first (RFC 9126), and says so in discovery. */
  requirePushedAuthorizationRequests?: boolean
}

type GrantKind = 'authorization_code' | 'refresh_token' | 'device_code' | 'revocation'

export interface AuthServer {
  issuer: string
  clientId: string
  endpoints: {
    authorization: string
    token: string
    deviceAuthorization?: string
    revocation: string
    userinfo: string
  }
  counts: Record<GrantKind, number>
  failures: Record<string, number>
  failureDetails: string[]
  // Token requests that arrived as JSON (with jsonTokenRequests on).
  jsonTokenRequests: number
  injectFault(rule: FaultRule | null): void
  userinfo(accessToken: string): Promise<{ status: number; sub?: string }>
  revokeGrantOf(refreshToken: string): Promise<void>
  /**
   * Logins made directly in the server, as a device login would leave them (for runs with hundreds of
   * grants): one refresh token per grant, each for its own account `fleet-<i>`.
   */
  mintGrants(n: number, scope?: string): Promise<Array<{ refreshToken: string; grantId: string }>>
  /** Successful refreshes per grant id, and refused ones (a reused or unknown refresh token). */
  refreshesByGrant: Map<string, number>
  resetCounts(): void
  close(): Promise<void>
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

// Fixed here rather than taken from oidc-provider's defaults, so fault paths are known up front.
const routes = {
  authorization: '/auth',
  token: '/token',
  device_authorization: '/device/auth',
  code_verification: '/device',
  revocation: '/token/revocation',
  userinfo: '/me',
}

// Imported lazily so the console filter is in place before oidc-provider's import-time warning.
let providerModule: Promise<typeof import('oidc-provider')> | undefined
function loadProvider() {
  quietOidcProvider()
  providerModule ??= import('oidc-provider')
  return providerModule
}

function zeroCounts(): Record<GrantKind, number> {
  return { authorization_code: 0, refresh_token: 0, device_code: 0, revocation: 0 }
}

function listen(server: ReturnType<typeof createServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

// One key per family, so an ID token can be signed with any algorithm a case asks for.
function signingKeys() {
  const jwk = (pair: { privateKey: { export(o: { format: 'jwk' }): object } }) =>
    pair.privateKey.export({ format: 'jwk' })
  return {
    keys: [
      jwk(generateKeyPairSync('rsa', { modulusLength: 2048 })),
      jwk(generateKeyPairSync('ec', { namedCurve: 'P-256' })),
      jwk(generateKeyPairSync('ed25519')),
    ],
  }
}

// Only what a case asks for differs from the defaults every other test file relies on.
function interopConfiguration(i: InteropOptions) {
  const auth = i.authMethod ?? 'client_secret_basic'
  return {
    client: {
      ...(i.clientSecret ? { client_secret: i.clientSecret, token_endpoint_auth_method: auth } : {}),
      ...(i.idTokenAlg ? { id_token_signed_response_alg: i.idTokenAlg } : {}),
      ...(i.exactRedirectUris ? { application_type: 'web', redirect_uris: i.exactRedirectUris } : {}),
    },
    provider: {
      ...(i.idTokenAlg
        ? { jwks: signingKeys(), enabledJWA: { idTokenSigningAlgValues: [i.idTokenAlg] } }
        : {}),
      ...(i.clientSecret ? { clientAuthMethods: [auth, 'none'] } : {}),
      ...(i.revocationRequiresClientAuth
        ? { discovery: { revocation_endpoint_auth_methods_supported: ['client_secret_basic'] } }
        : {}),
    },
  }
}

function configuration(opts: AuthServerOptions, clientId: string, deviceFlow: boolean) {
  const ttl = opts.ttl ?? {}
  const grantTypes = ['authorization_code', 'refresh_token', ...(deviceFlow ? [DEVICE_GRANT] : [])]
  const interop = interopConfiguration(opts.interop ?? {})
  return {
    clients: [
      {
        client_id: clientId,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: grantTypes,
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
        ...interop.client,
      },
    ],
    ...interop.provider,
    routes,
    features: {
      ...(opts.interop?.requirePushedAuthorizationRequests
        ? { pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true } }
        : {}),
      devInteractions: { enabled: true },
      deviceFlow: { enabled: deviceFlow },
      revocation: { enabled: true },
      userinfo: { enabled: true },
    },
    pkce: { required: () => true },
    rotateRefreshToken: opts.rotateRefreshToken ?? true,
    scopes: opts.scopes ?? ['openid', 'offline_access', 'profile'],
    // The default 15 s is also added to every stored token's lifetime, which hides expiry.
    clockTolerance: 0,
    ttl: {
      AccessToken: ttl.accessToken ?? 60,
      RefreshToken: ttl.refreshToken ?? 86400,
      DeviceCode: ttl.deviceCode ?? 600,
      Grant: ttl.grant ?? 86400,
      AuthorizationCode: ttl.authorizationCode ?? 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 86400,
    },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
  }
}

// oidc-provider never sends `interval`, so clients fall back to polling every 5 s.
function injectInterval(res: ServerResponse, interval: number): void {
  holdBody(res, (body, end) => {
    if (res.statusCode !== 200) return end(body)
    try {
      const json = { ...JSON.parse(body.toString('utf8')), interval: Math.round(interval) }
      const out = Buffer.from(JSON.stringify(json))
      res.setHeader('content-length', out.length)
      end(out)
    } catch {
      end(body)
    }
  })
}

// Counted just before the reply leaves, so a caller that has the reply also sees the count.
function countOnSuccess(res: ServerResponse, bump: () => void): void {
  const end = res.end.bind(res)
  res.end = ((...args: Parameters<typeof end>) => {
    if (res.statusCode === 200) bump()
    return end(...args)
  }) as ServerResponse['end']
}

async function revokeWholeGrant(provider: Provider, refreshToken: string): Promise<void> {
  const token = await provider.RefreshToken.find(refreshToken, { ignoreExpiration: true })
  const grantId = token?.grantId
  if (!grantId) throw new Error('revokeGrantOf: the server does not know this refresh token')
  const members = [
    provider.AccessToken,
    provider.AuthorizationCode,
    provider.RefreshToken,
    provider.DeviceCode,
  ]
  await Promise.all(members.map((m) => m.revokeByGrantId(grantId)))
  await provider.Grant.adapter.destroy(grantId)
}

/**
 * Reads a JSON token request and leaves it as an already-parsed form body, which oidc-provider's body
 * reader accepts from upstream middleware (req.body on a consumed request).
 */
async function jsonToForm(req: IncomingMessage): Promise<void> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
  const form = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]))
  Object.assign(req, { body: form })
  req.headers['content-type'] = 'application/x-www-form-urlencoded'
  // type-is only sees a body where a length (or chunked encoding) is declared.
  req.headers['content-length'] = String(Buffer.byteLength(new URLSearchParams(form).toString()))
}

/** The small policies of other servers that oidc-provider has no switch for; true when it answered. */
function interopRefuses(i: InteropOptions, req: IncomingMessage, url: URL, res: ServerResponse): boolean {
  if (i.replaceNonce && url.pathname === routes.authorization && url.searchParams.has('nonce')) {
    url.searchParams.set('nonce', i.replaceNonce)
    req.url = `${url.pathname}${url.search}`
  }
  const openid = (url.searchParams.get('scope') ?? '').split(' ').includes('openid')
  if (i.requireNonce && url.pathname === routes.authorization && openid && !url.searchParams.get('nonce')) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('nonce required')
    return true
  }
  if (
    i.revocationRequiresClientAuth &&
    req.method === 'POST' &&
    url.pathname === routes.revocation &&
    !req.headers.authorization
  ) {
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="revocation"' })
    res.end('client authentication required')
    return true
  }
  return false
}

/** oidc-provider's own memory adapter over a store of `size` entries instead of its default 1000. */
async function largeMemoryAdapter(size: number): Promise<(model: string) => unknown> {
  const [{ default: MemoryAdapter }, { default: LRU }] = await Promise.all([
    import('oidc-provider/lib/adapters/memory_adapter.js'),
    import('oidc-provider/lib/helpers/lru.js'),
  ])
  const store = new LRU({ maxSize: size })
  return (model) => new MemoryAdapter(model, store, 0)
}

export async function startAuthServer(opts: AuthServerOptions = {}): Promise<AuthServer> {
  const { default: ProviderClass } = await loadProvider()
  const clientId = opts.clientId ?? 'authkeep-test'
  const deviceFlow = opts.deviceFlow ?? true
  const timers: TimerSet = new Set()
  let rule: (FaultRule & { left: number }) | null = null
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503).end()
  }

  const server = createServer((req, res) => handle(req, res))
  // Keep-alive sockets from clients would otherwise hold close() open.
  server.keepAliveTimeout = 1000
  const port = await listen(server)
  const issuer = `http://127.0.0.1:${port}`
  const provider = new ProviderClass(issuer, {
    ...configuration(opts, clientId, deviceFlow),
    ...(opts.storeSize ? { adapter: await largeMemoryAdapter(opts.storeSize) } : {}),
  })
  const callback = provider.callback()

  const bed: AuthServer = {
    issuer,
    clientId,
    endpoints: {
      authorization: issuer + routes.authorization,
      token: issuer + routes.token,
      ...(deviceFlow ? { deviceAuthorization: issuer + routes.device_authorization } : {}),
      revocation: issuer + routes.revocation,
      userinfo: issuer + routes.userinfo,
    },
    counts: zeroCounts(),
    failures: {},
    failureDetails: [],
    jsonTokenRequests: 0,
    injectFault(next) {
      rule = next ? { ...next, left: next.times ?? Number.POSITIVE_INFINITY } : null
    },
    async userinfo(accessToken) {
      const res = await fetch(bed.endpoints.userinfo, {
        headers: { authorization: `Bearer ${accessToken}` },
        signal: AbortSignal.timeout(10_000),
      })
      const text = await res.text()
      if (res.status !== 200) return { status: res.status }
      return { status: res.status, sub: (JSON.parse(text) as { sub?: string }).sub }
    },
    revokeGrantOf: (refreshToken) => revokeWholeGrant(provider, refreshToken),
    refreshesByGrant: new Map(),
    async mintGrants(n, scope = 'openid offline_access') {
      const client = await provider.Client.find(clientId)
      const out: Array<{ refreshToken: string; grantId: string }> = []
      for (let i = 0; i < n; i++) {
        const accountId = `fleet-${i}`
        const grant = new provider.Grant({ accountId, clientId })
        grant.addOIDCScope(scope)
        const grantId = await grant.save()
        const token = new provider.RefreshToken({
          accountId,
          client,
          grantId,
          scope,
          gty: 'device_code',
          authTime: Math.floor(Date.now() / 1000),
        })
        out.push({ refreshToken: await token.save(), grantId })
      }
      return out
    },
    // In place, so references a test took earlier stay live.
    resetCounts() {
      Object.assign(bed.counts, zeroCounts())
      bed.refreshesByGrant.clear()
      for (const k of Object.keys(bed.failures)) delete bed.failures[k]
      bed.failureDetails.length = 0
    },
    async close() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    },
  }

  provider.on('grant.success', (ctx) => {
    const type = ctx.oidc?.params?.grant_type
    const kind = type === DEVICE_GRANT ? 'device_code' : type
    if (kind === 'authorization_code' || kind === 'refresh_token' || kind === 'device_code')
      bed.counts[kind] += 1
    const grantId = kind === 'refresh_token' ? ctx.oidc?.entities?.RefreshToken?.grantId : undefined
    if (grantId) bed.refreshesByGrant.set(grantId, (bed.refreshesByGrant.get(grantId) ?? 0) + 1)
  })
  provider.on('grant.error', (_ctx, err) => {
    const code = err.error ?? 'server_error'
    bed.failures[code] = (bed.failures[code] ?? 0) + 1
    bed.failureDetails.push(`${code}: ${err.error_detail ?? err.error_description ?? err.message}`)
  })

  const passThrough = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer)
    const path = url.pathname
    if (interopRefuses(opts.interop ?? {}, req, url, res)) return
    if (req.method === 'POST' && path === routes.revocation) {
      countOnSuccess(res, () => {
        bed.counts.revocation += 1
      })
    }
    if (req.method === 'POST' && path === routes.device_authorization && opts.deviceInterval !== undefined) {
      injectInterval(res, opts.deviceInterval)
    }
    const json = (req.headers['content-type'] ?? '').startsWith('application/json')
    if (opts.jsonTokenRequests && req.method === 'POST' && path === routes.token && json) {
      bed.jsonTokenRequests += 1
      jsonToForm(req).then(
        () => callback(req, res),
        () => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_request"}'),
      )
      return
    }
    callback(req, res)
  }

  handle = (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname
    const active = rule
    if (active && path === (active.path ?? routes.token) && active.left > 0) {
      active.left -= 1
      if (active.left <= 0) rule = null
      serveFault(active.fault, req, res, passThrough, timers)
      return
    }
    passThrough(req, res)
  }

  return bed
}
