import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Secret } from '../secret.js'
import type { Credential } from '../stores/credential.js'
import { backoffDelay, loginEndsAt, refreshDeadline } from './schedule.js'

const t0 = new Date('2026-01-01T00:00:00Z')
function cred(lifeSeconds: number | undefined, extra: Partial<Credential> = {}): Credential {
  return {
    profile: 'p',
    state: 'active',
    stateReason: undefined,
    tokenType: 'Bearer',
    accessToken: new Secret('access-token-value'),
    refreshToken: new Secret('refresh-token-value'),
    idToken: undefined,
    scope: undefined,
    expiresAt: lifeSeconds === undefined ? undefined : new Date(t0.getTime() + lifeSeconds * 1000),
    refreshExpiresAt: undefined,
    obtainedAt: t0,
    updatedAt: t0,
    host: 'h',
    secretsIn: 'file',
    extra: {},
    ...extra,
  }
}

test('the daemon refreshes twice the margin ahead, jittered by up to a quarter, never before 1/3 of the life is left', () => {
  const eightHours = cred(8 * 3600)
  const expires = t0.getTime() + 8 * 3_600_000
  const at = (j: number) => refreshDeadline(eightHours, 300, j)?.getTime()
  assert.equal(at(0), expires - 600_000)
  assert.equal(at(1), expires - 750_000)
  // 3-second tokens: a third of the life, so each token lives two seconds before the next refresh.
  assert.equal(refreshDeadline(cred(3), 60, 0)?.getTime(), t0.getTime() + 2000)
})

test('nothing to schedule without a refresh token or an expiry; at once without an access token', () => {
  assert.equal(refreshDeadline(cred(3600, { refreshToken: undefined }), 60, 0), undefined)
  assert.equal(refreshDeadline(cred(undefined), 60, 0), undefined)
  assert.equal(refreshDeadline(cred(3600, { accessToken: undefined }), 60, 0)?.getTime(), 0)
})

test('a login ends with its refresh token, or without one with its access token', () => {
  const ends = new Date('2026-02-01T00:00:00Z')
  assert.equal(loginEndsAt(cred(60, { refreshExpiresAt: ends })), ends)
  assert.equal(loginEndsAt(cred(60)), undefined)
  assert.deepEqual(loginEndsAt(cred(60, { refreshToken: undefined })), new Date(t0.getTime() + 60_000))
})

test('backoff doubles within jitter, stops at the cap, and yields to a longer Retry-After', () => {
  const policy = { minMs: 10_000, maxMs: 60_000 }
  assert.equal(backoffDelay(1, policy, undefined, 0.5), 10_000)
  assert.equal(backoffDelay(2, policy, undefined, 0.5), 20_000)
  assert.equal(backoffDelay(3, policy, undefined, 0), 30_000)
  assert.equal(backoffDelay(9, policy, undefined, 0.99), 60_000)
  assert.equal(backoffDelay(1, policy, 120, 0.5), 120_000)
  assert.equal(backoffDelay(1, policy, 1, 0.5), 10_000)
  for (let n = 1; n < 10; n++) {
    assert.ok(backoffDelay(n + 1, policy, undefined, 0) >= backoffDelay(n, policy, undefined, 0.999))
  }
})
