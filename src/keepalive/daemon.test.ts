import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LoginRequiredError, ServerUnavailableError } from '../errors.js'
import { fixedClock } from '../ports/clock.js'
import { type Profile, toProfile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import type { Credential } from '../stores/credential.js'
import { DEFAULT_KEEPALIVE, KeepAlive, type KeepAlivePorts } from './daemon.js'
import type { Notice } from './notify.js'
import type { KeepaliveState } from './state.js'

const T0 = new Date('2030-01-01T00:00:00Z')
const HOUR = 3_600_000
const work = toProfile('work', { token_endpoint: 'https://auth.example.com/token', client_id: 'cli' })

const login = (at: Date, over: Partial<Credential> = {}): Credential => ({
  profile: 'work',
  state: 'active',
  stateReason: undefined,
  tokenType: 'Bearer',
  accessToken: new Secret('access-token-AAAAAAAAAAAA'),
  refreshToken: new Secret('refresh-token-RRRRRRRRRRRR'),
  idToken: undefined,
  scope: undefined,
  expiresAt: new Date(at.getTime() + HOUR),
  refreshExpiresAt: undefined,
  obtainedAt: at,
  updatedAt: at,
  host: 'h#1',
  secretsIn: 'file',
  extra: {},
  ...over,
})

/** A daemon over fake ports: the stored login, the refresh outcome and the clock are the test's. */
function daemon(stored: { current: Credential }, refresh: KeepAlivePorts['refresh']) {
  const events: string[] = []
  const notices: Notice[] = []
  const saved: KeepaliveState[] = []
  const ports: KeepAlivePorts = {
    clock: fixedClock(T0),
    pid: 4242,
    read: async () => stored.current,
    refresh,
    saveState: async (s) => {
      saved.push(structuredClone(s))
    },
  }
  const keepAlive = new KeepAlive(
    ports,
    {
      ...DEFAULT_KEEPALIVE,
      random: () => 0.5,
      warnDays: 7,
      notify: async (n) => {
        notices.push(n)
        return 0
      },
    },
    async (): Promise<Profile[]> => [work],
    (event, fields) => events.push(`${event}${fields?.reason ? `:${fields.reason}` : ''}`),
    undefined,
  )
  const at = (ms: number) => {
    ports.clock = fixedClock(new Date(T0.getTime() + ms))
  }
  return { keepAlive, events, notices, saved, at, state: () => keepAlive.states()[0]?.[1] }
}

test('a failing refresh: backoff state each time, one refresh_failing notice per episode, cleared on recovery', async () => {
  const expired = login(new Date(T0.getTime() - 2 * HOUR))
  let outcome: 'fail' | 'ok' = 'fail'
  const d = daemon({ current: expired }, async () => {
    if (outcome === 'fail') throw new ServerUnavailableError('the token endpoint answered 503', 'x')
    return { credential: login(T0), source: 'refreshed' }
  })
  for (let i = 1; i <= 4; i++) {
    d.at(i * 60_000)
    await d.keepAlive.wake(true)
    assert.equal(d.state()?.consecutive_failures, i)
    assert.equal(d.state()?.state, 'retrying')
  }
  assert.equal(d.notices.length, 1, 'notified once, at the third failure, however often it fails')
  assert.equal(d.notices[0]?.reason, 'refresh_failing')
  assert.equal(d.events.filter((e) => e === 'warning:refresh_failing').length, 1)

  outcome = 'ok'
  d.at(10 * 60_000)
  await d.keepAlive.wake(true)
  assert.equal(d.state()?.state, 'ok')
  assert.equal(d.state()?.consecutive_failures, 0)
  assert.deepEqual(d.state()?.warnings, [])
  assert.ok(d.events.includes('recovered'))
  assert.ok(d.events.includes('warning_cleared:refresh_failing'))
  assert.equal(d.saved.at(-1)?.daemon.pid, 4242, 'the state file names the pid it was given')
})

test('a refused login: login_required once, notified once, no retries', async () => {
  let calls = 0
  const stored = { current: login(new Date(T0.getTime() - 2 * HOUR)) }
  const d = daemon(stored, async () => {
    calls += 1
    // As the refresh protocol does: the record is kept and marked.
    const reason = 'invalid_grant: the refresh token was revoked'
    stored.current = { ...stored.current, state: 'login_required', stateReason: reason }
    throw new LoginRequiredError('work', reason)
  })
  await d.keepAlive.wake(true)
  d.at(60_000)
  await d.keepAlive.wake(true)
  assert.equal(d.state()?.state, 'login_required')
  assert.equal(d.state()?.consecutive_failures, 0, 'not a failure to retry')
  assert.equal(d.notices.length, 1)
  assert.equal(d.notices[0]?.reason, 'login_required')
  assert.equal(calls, 1, 'a login marked as needed is not refreshed again')
})

test("a peer's refresh is adopted: no refresh counted, the next deadline follows the adopted token", async () => {
  const adopted = login(T0)
  const d = daemon({ current: login(new Date(T0.getTime() - 2 * HOUR)) }, async () => ({
    credential: adopted,
    source: 'adopted',
  }))
  await d.keepAlive.wake(true)
  assert.equal(d.state()?.state, 'ok')
  assert.equal(d.state()?.last_refresh_at ?? null, null, 'a refresh it did not make is not its own')
  assert.ok(d.events.includes('adopted'))
  const next = Date.parse(d.state()?.next_refresh_at ?? '')
  assert.ok(next > T0.getTime() && next < (adopted.expiresAt as Date).getTime())
})
