import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TokenEndpointResponse } from 'openid-client'
import { ServerUnavailableError } from '../errors.js'
import { Secret } from '../secret.js'
import { credentialFromTokens, isFresh, tokenSyntaxProblem } from './tokenResponse.js'

const now = new Date('2026-01-01T00:00:00Z')
const tokens = (extra: Partial<TokenEndpointResponse> = {}) =>
  ({
    access_token: 'access-token-value-1',
    token_type: 'bearer',
    expires_in: 3600,
    ...extra,
  }) as TokenEndpointResponse

test('expires_in becomes an absolute expiry, once, at the boundary', () => {
  const c = credentialFromTokens(tokens({ refresh_token: 'rt-1', refresh_expires_in: 7200 }), {
    profile: 'p',
    now,
    host: 'h',
    secretsIn: 'file',
  })
  assert.equal(c.expiresAt?.toISOString(), '2026-01-01T01:00:00.000Z')
  assert.equal(c.refreshExpiresAt?.toISOString(), '2026-01-01T02:00:00.000Z')
  assert.equal(c.refreshToken?.reveal(), 'rt-1')
})

test('a refresh response without a refresh token keeps the previous one and its end date (RFC 6749 §6)', () => {
  const previous = credentialFromTokens(tokens({ refresh_token: 'rt-old', refresh_expires_in: 10 }), {
    profile: 'p',
    now,
    host: 'h',
    secretsIn: 'file',
  })
  const c = credentialFromTokens(tokens(), { profile: 'p', now, host: 'h', secretsIn: 'file', previous })
  assert.equal(c.refreshToken?.reveal(), 'rt-old')
  assert.equal(c.refreshExpiresAt?.getTime(), previous.refreshExpiresAt?.getTime())
})

test('isFresh: margin before expiry, but at most a quarter of the token life', () => {
  const c = credentialFromTokens(tokens({ expires_in: 3600 }), {
    profile: 'p',
    now,
    host: 'h',
    secretsIn: 'file',
  })
  const at = (s: number) => new Date(now.getTime() + s * 1000)
  assert.equal(isFresh(c, at(3539), 60), true)
  assert.equal(isFresh(c, at(3540), 60), false)
  const short = credentialFromTokens(tokens({ expires_in: 20 }), {
    profile: 'p',
    now,
    host: 'h',
    secretsIn: 'file',
  })
  assert.equal(isFresh(short, at(14), 60), true, 'a 20 s token is not due after 14 s despite a 60 s margin')
  assert.equal(isFresh(short, at(15), 60), false)
  assert.equal(isFresh({ ...c, accessToken: undefined }, now, 60), false)
  assert.equal(isFresh({ ...c, expiresAt: undefined, accessToken: new Secret('x') }, at(99999), 60), true)
})

test('tokens outside their RFC syntax are refused before anything is kept', () => {
  assert.equal(
    tokenSyntaxProblem({ access_token: 'eyJ.abc-_~+/x==', refresh_token: 'any printable !"#' }),
    undefined,
  )
  assert.match(tokenSyntaxProblem({ access_token: 'abc\u001b[2J' }) ?? '', /"access_token".*RFC 6750/)
  assert.match(tokenSyntaxProblem({ access_token: 'two words' }) ?? '', /"access_token"/)
  assert.match(
    tokenSyntaxProblem({ access_token: 'ok', refresh_token: 'line\nbreak' }) ?? '',
    /"refresh_token"/,
  )
  assert.match(tokenSyntaxProblem({ access_token: 'ok', id_token: '\u0007' }) ?? '', /"id_token"/)
  assert.throws(
    () =>
      credentialFromTokens(tokens({ access_token: 'bell\u0007' }), {
        profile: 'p',
        now,
        host: 'h',
        secretsIn: 'file',
      }),
    (err) =>
      err instanceof ServerUnavailableError &&
      /nothing was stored/.test(err.message) &&
      err.next === 'authkeep login --profile p',
  )
})
