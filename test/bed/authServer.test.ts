import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import * as client from 'openid-client'
import { type AuthServer, type AuthServerOptions, startAuthServer } from './authServer.js'
import { authorizationRequest, deviceLogin, discover, startLoopback, within } from './clientFlows.js'
import { approveWithHttp } from './httpApprover.js'

const T = { timeout: 30_000 }

async function withServer(opts: AuthServerOptions, fn: (s: AuthServer) => Promise<void>): Promise<void> {
  const server = await startAuthServer(opts)
  try {
    await fn(server)
  } finally {
    await server.close()
  }
}

async function loggedIn(server: AuthServer) {
  const config = await discover(server)
  const { tokens } = await deviceLogin(config, (url) => approveWithHttp(url), { pollInterval: 0.1 })
  assert.ok(tokens.refresh_token, 'device login gave no refresh token')
  return { config, tokens, refreshToken: tokens.refresh_token }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

const isOAuthError = (code: string) => (err: unknown) => {
  assert.equal((err as { error?: string }).error, code, `expected ${code}, got ${String(err)}`)
  return true
}

function postToken(server: AuthServer, path = server.endpoints.token): Promise<Response> {
  return fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: 'nope',
      client_id: server.clientId,
    }),
    signal: AbortSignal.timeout(10_000),
  })
}

describe('authorization server', () => {
  test('device flow: tokens, counts, interval and userinfo', T, async () => {
    await withServer({ deviceInterval: 1 }, async (s) => {
      const config = await discover(s)
      const started = Date.now()
      const { tokens, deviceAuthorization } = await deviceLogin(config, (url) => approveWithHttp(url))
      assert.equal(deviceAuthorization.interval, 1)
      assert.ok(Date.now() - started < 5_000, 'polling ignored the injected interval')
      assert.ok(tokens.access_token && tokens.refresh_token)
      assert.equal(s.counts.device_code, 1)
      assert.equal(s.counts.refresh_token, 0)
      assert.deepEqual(await s.userinfo(tokens.access_token), { status: 200, sub: 'alice' })
      assert.equal((await s.userinfo('not-a-token')).status, 401)
    })
  })

  test('auth code + PKCE delivered to a loopback listener over HTTP', T, async () => {
    await withServer({}, async (s) => {
      const config = await discover(s)
      const loopback = await startLoopback()
      try {
        const req = await authorizationRequest(config, loopback.redirectUri)
        const result = await approveWithHttp(req.url, { login: 'bob', deliver: true })
        const callback = await within(loopback.received, 5_000, 'the callback')
        assert.equal(result.redirectedTo, callback.href)
        const tokens = await req.redeem(callback)
        assert.ok(tokens.refresh_token, 'no refresh token: offline_access was dropped')
        assert.equal(tokens.claims()?.sub, 'bob')
        assert.equal(s.counts.authorization_code, 1)
      } finally {
        await loopback.close()
      }
    })
  })

  test('refresh rotates; reusing the old token fails and kills the grant', T, async () => {
    await withServer({}, async (s) => {
      const { config, refreshToken } = await loggedIn(s)
      const next = await client.refreshTokenGrant(config, refreshToken)
      assert.equal(s.counts.refresh_token, 1)
      assert.ok(next.refresh_token && next.refresh_token !== refreshToken, 'refresh token did not rotate')
      await assert.rejects(client.refreshTokenGrant(config, refreshToken), isOAuthError('invalid_grant'))
      assert.equal(s.failures.invalid_grant, 1)
      assert.ok(
        s.failureDetails.some((d) => /already used/.test(d)),
        s.failureDetails.join('; '),
      )
      await assert.rejects(
        client.refreshTokenGrant(config, next.refresh_token),
        isOAuthError('invalid_grant'),
      )
      assert.equal(s.counts.refresh_token, 1)
    })
  })

  test('rotateRefreshToken: false keeps the same refresh token', T, async () => {
    await withServer({ rotateRefreshToken: false }, async (s) => {
      const { config, refreshToken } = await loggedIn(s)
      const next = await client.refreshTokenGrant(config, refreshToken)
      assert.equal(next.refresh_token ?? refreshToken, refreshToken)
      await client.refreshTokenGrant(config, refreshToken)
      assert.equal(s.counts.refresh_token, 2)
    })
  })

  test('a 1 s access token is rejected by userinfo once expired', T, async () => {
    await withServer({ ttl: { accessToken: 1 } }, async (s) => {
      const { config, refreshToken } = await loggedIn(s)
      // Expiry is whole seconds from a truncated iat, so start just after a second begins.
      await sleep(1020 - (Date.now() % 1000))
      const fresh = await client.refreshTokenGrant(config, refreshToken)
      const issued = Date.now()
      assert.equal((await s.userinfo(fresh.access_token)).status, 200)
      await sleep(Math.max(0, 1500 - (Date.now() - issued)))
      assert.equal((await s.userinfo(fresh.access_token)).status, 401)
    })
  })

  test('revokeGrantOf makes the next refresh fail', T, async () => {
    await withServer({}, async (s) => {
      const { config, tokens, refreshToken } = await loggedIn(s)
      await s.revokeGrantOf(refreshToken)
      await assert.rejects(client.refreshTokenGrant(config, refreshToken), isOAuthError('invalid_grant'))
      assert.equal((await s.userinfo(tokens.access_token)).status, 401)
      assert.equal(s.counts.revocation, 0)
      await assert.rejects(s.revokeGrantOf('unknown'), /does not know/)
    })
  })

  test('the revocation endpoint is counted and ends the grant', T, async () => {
    await withServer({}, async (s) => {
      const { config, refreshToken } = await loggedIn(s)
      await client.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' })
      assert.equal(s.counts.revocation, 1)
      await assert.rejects(client.refreshTokenGrant(config, refreshToken), isOAuthError('invalid_grant'))
    })
  })

  test('resetCounts clears counts and failures in place', T, async () => {
    await withServer({}, async (s) => {
      const counts = s.counts
      const { config } = await loggedIn(s)
      await assert.rejects(client.refreshTokenGrant(config, 'bogus'), isOAuthError('invalid_grant'))
      s.resetCounts()
      assert.equal(counts.device_code, 0)
      assert.deepEqual(s.failures, {})
      assert.deepEqual(s.failureDetails, [])
    })
  })

  test('two servers in one process do not share storage', T, async () => {
    await withServer({}, async (a) => {
      await withServer({}, async (b) => {
        const { refreshToken } = await loggedIn(a)
        const configB = await discover(b)
        await assert.rejects(client.refreshTokenGrant(configB, refreshToken), isOAuthError('invalid_grant'))
        assert.deepEqual(b.failureDetails, ['invalid_grant: refresh token not found'])
      })
    })
  })

  test('deviceFlow: false removes the device endpoint', T, async () => {
    await withServer({ deviceFlow: false, clientId: 'no-device' }, async (s) => {
      assert.equal(s.endpoints.deviceAuthorization, undefined)
      assert.equal(s.clientId, 'no-device')
      const meta = (await (await fetch(`${s.issuer}/.well-known/openid-configuration`)).json()) as Record<
        string,
        unknown
      >
      assert.equal(meta.device_authorization_endpoint, undefined)
      assert.ok(
        !(meta.grant_types_supported as string[]).includes('urn:ietf:params:oauth:grant-type:device_code'),
      )
      assert.equal(meta.token_endpoint, s.endpoints.token)
      const res = await fetch(`${s.issuer}/device/auth`, {
        method: 'POST',
        body: new URLSearchParams({ client_id: s.clientId }),
      })
      assert.equal(res.status, 404)
      await res.arrayBuffer()
    })
  })
})

describe('fault injection at the token endpoint', () => {
  test('status with Retry-After, custom body, and times', T, async () => {
    await withServer({}, async (s) => {
      s.injectFault({ fault: { kind: 'status', status: 503, retryAfter: 7 }, times: 2 })
      for (let i = 0; i < 2; i += 1) {
        const res = await postToken(s)
        assert.equal(res.status, 503)
        assert.equal(res.headers.get('retry-after'), '7')
        await res.text()
      }
      const third = await postToken(s)
      assert.equal(third.status, 400, 'fault outlived its `times`')
      assert.equal(((await third.json()) as { error: string }).error, 'invalid_grant')

      s.injectFault({ fault: { kind: 'status', status: 429, body: '{"error":"slow_down"}' } })
      const limited = await postToken(s)
      assert.equal(limited.status, 429)
      assert.match(limited.headers.get('content-type') ?? '', /json/)
      assert.deepEqual(await limited.json(), { error: 'slow_down' })
      s.injectFault(null)
      assert.equal((await postToken(s)).status, 400)
    })
  })

  test('delay passes through after the wait', T, async () => {
    await withServer({}, async (s) => {
      s.injectFault({ fault: { kind: 'delay', ms: 400 } })
      const started = Date.now()
      const res = await postToken(s)
      assert.ok(Date.now() - started >= 390, `answered after ${Date.now() - started} ms`)
      assert.equal(res.status, 400)
      await res.text()
      assert.equal(s.failures.invalid_grant, 1)
    })
  })

  test('reset makes fetch throw', T, async () => {
    await withServer({}, async (s) => {
      s.injectFault({ fault: { kind: 'reset' } })
      await assert.rejects(postToken(s), TypeError)
    })
  })

  test('resetMidBody gives headers, then the body read fails', T, async () => {
    await withServer({}, async (s) => {
      s.injectFault({ fault: { kind: 'resetMidBody' } })
      const res = await postToken(s)
      assert.equal(res.status, 200)
      await assert.rejects(res.text())
    })
  })

  test('slowBody passes the real answer through slowly', T, async () => {
    await withServer({}, async (s) => {
      s.injectFault({ fault: { kind: 'slowBody', ms: 500 } })
      const started = Date.now()
      const res = await postToken(s)
      const headersAfter = Date.now() - started
      const body = (await res.json()) as { error: string }
      assert.equal(body.error, 'invalid_grant')
      assert.ok(headersAfter < 300, `headers took ${headersAfter} ms`)
      assert.ok(Date.now() - started >= 450, `body took only ${Date.now() - started} ms`)
    })
  })

  test('malformed JSON and missing fields', T, async () => {
    await withServer({}, async (s) => {
      s.injectFault({ fault: { kind: 'malformed' }, times: 1 })
      const bad = await postToken(s)
      assert.equal(bad.status, 200)
      assert.match(bad.headers.get('content-type') ?? '', /application\/json/)
      await assert.rejects(bad.json(), SyntaxError)

      s.injectFault({ fault: { kind: 'missingFields' }, times: 1 })
      const empty = await postToken(s)
      assert.equal(empty.status, 200)
      assert.deepEqual(await empty.json(), {})
    })
  })

  test('a fault on another path leaves the token endpoint alone', T, async () => {
    await withServer({}, async (s) => {
      s.injectFault({ fault: { kind: 'status', status: 502 }, path: new URL(s.endpoints.userinfo).pathname })
      assert.equal((await postToken(s)).status, 400)
      assert.equal((await s.userinfo('x')).status, 502)
    })
  })

  test('answering faults do not consume the refresh token', T, async () => {
    await withServer({}, async (s) => {
      const { config, refreshToken } = await loggedIn(s)
      s.injectFault({ fault: { kind: 'resetMidBody' }, times: 1 })
      await assert.rejects(client.refreshTokenGrant(config, refreshToken))
      const next = await client.refreshTokenGrant(config, refreshToken)
      assert.ok(next.access_token)
      assert.equal(s.counts.refresh_token, 1)
    })
  })
})
