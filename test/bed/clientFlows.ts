// The client side of the self-tests, with openid-client used directly: what the product will
// do, minus the product. Also handy for e2e tests that need a logged-in grant as a starting
// point.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as client from 'openid-client'
import type { AuthServer } from './authServer.js'

const FLOW_TIMEOUT_MS = 20_000

export function discover(server: AuthServer): Promise<client.Configuration> {
  return client.discovery(new URL(server.issuer), server.clientId, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  })
}

// Device flow with the approval running alongside the polling, as a person would do it.
// `pollInterval` (seconds, fractions allowed) overrides what the server said, for speed.
export async function deviceLogin(
  config: client.Configuration,
  approve: (url: string) => Promise<unknown>,
  opts: { pollInterval?: number } = {},
) {
  const da = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access' })
  if (!da.verification_uri_complete)
    throw new Error('device authorization response has no verification_uri_complete')
  const signal = AbortSignal.timeout(FLOW_TIMEOUT_MS)
  const polled = opts.pollInterval === undefined ? da : { ...da, interval: opts.pollInterval }
  const [tokens] = await Promise.all([
    client.pollDeviceAuthorizationGrant(config, polled, undefined, { signal }),
    approve(da.verification_uri_complete),
  ])
  return { tokens, deviceAuthorization: da }
}

export interface Loopback {
  redirectUri: string
  received: Promise<URL>
  hits: () => number
  close(): Promise<void>
}

// A one-shot redirect_uri listener on a random port, like a CLI's loopback login.
export async function startLoopback(): Promise<Loopback> {
  let hits = 0
  let resolve: (u: URL) => void = () => {}
  const received = new Promise<URL>((r) => {
    resolve = r
  })
  const server = createServer((req, res) => {
    hits += 1
    res.writeHead(200, { 'content-type': 'text/html' }).end('<title>Logged in</title>You may close this tab.')
    resolve(new URL(req.url ?? '/', redirectUri))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`
  return {
    redirectUri,
    received,
    hits: () => hits,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      }),
  }
}

export async function authorizationRequest(config: client.Configuration, redirectUri: string) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state,
    // Without it oidc-provider silently drops offline_access, so no refresh token.
    prompt: 'consent',
  })
  const redeem = (callbackUrl: URL | string) =>
    client.authorizationCodeGrant(config, new URL(callbackUrl), { pkceCodeVerifier, expectedState: state })
  return { url: url.href, redeem }
}

export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
