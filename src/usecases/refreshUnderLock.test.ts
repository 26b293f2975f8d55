import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { toProfile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import type { Credential } from '../stores/credential.js'
import { memoryStore } from '../stores/memoryStore.js'
import { refreshUnderLock } from './refreshUnderLock.js'
import { testDeps } from './testDeps.js'

const HOUR = 3_600_000
const now = Date.now()

const login = (updatedAt: number, expiresIn: number, token = 'access-token-AAAAAAAAAAAA'): Credential => ({
  profile: 'work',
  state: 'active',
  stateReason: undefined,
  tokenType: 'Bearer',
  accessToken: new Secret(token),
  refreshToken: new Secret('refresh-token-RRRRRRRRRRRR'),
  idToken: undefined,
  scope: undefined,
  expiresAt: new Date(now + expiresIn),
  refreshExpiresAt: undefined,
  obtainedAt: new Date(updatedAt),
  updatedAt: new Date(updatedAt),
  host: 'h#1',
  secretsIn: 'file',
  extra: {},
})

/** A token endpoint on 127.0.0.1 that counts its refreshes and issues a new token each time. */
async function tokenEndpoint() {
  let refreshes = 0
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      refreshes += 1
      res.setHeader('content-type', 'application/json')
      res.end(
        JSON.stringify({
          access_token: `refreshed-access-token-${refreshes}`,
          refresh_token: `rotated-refresh-token-${refreshes}`,
          token_type: 'Bearer',
          expires_in: 3600,
        }),
      )
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    profile: toProfile('work', {
      token_endpoint: `http://127.0.0.1:${port}/token`,
      client_id: 'cli',
      allow_insecure_http: true,
    }),
    refreshes: () => refreshes,
    close: () => new Promise((r) => server.close(r)),
  }
}

test("a waiter adopts a peer's refresh as soon as it is written, without ever taking the lock", async (t) => {
  const server = await tokenEndpoint()
  t.after(server.close)
  const due = login(now - HOUR, 10_000)
  const store = memoryStore(due)
  const deps = testDeps({ credentialsOf: () => store, lockTimeoutMs: 30_000 })
  // The test is the peer: it holds the lock, and writes a fresh login while the waiter waits.
  const result = await store.lock({ timeoutMs: 1_000 }, async () => {
    const waiting = refreshUnderLock(deps, server.profile, due, false)
    await new Promise((r) => setTimeout(r, 50))
    await store.write(login(now, HOUR, 'peer-access-token-PPPPPPPPPPPP'))
    const r = await waiting
    assert.ok(store.locked(), 'adopted while the peer still holds the lock')
    return r
  })
  assert.equal(result.source, 'adopted')
  assert.equal(result.credential.accessToken?.reveal(), 'peer-access-token-PPPPPPPPPPPP')
  assert.equal(server.refreshes(), 0)
})

test('under the lock: a fresh login written since is adopted; a forced refresh of the same one is made', async (t) => {
  const server = await tokenEndpoint()
  t.after(server.close)
  const due = login(now - HOUR, 10_000)
  const store = memoryStore(login(now, HOUR, 'peer-access-token-PPPPPPPPPPPP'))
  const deps = testDeps({ credentialsOf: () => store })

  const adopted = await refreshUnderLock(deps, server.profile, due, false)
  assert.equal(adopted.source, 'adopted')
  assert.equal(server.refreshes(), 0, 'nothing reached the server')

  // `refresh --force` on the login it just read: nobody refreshed meanwhile, so it refreshes once.
  const seen = store.current as Credential
  const forced = await refreshUnderLock(deps, server.profile, seen, true)
  assert.equal(forced.source, 'refreshed')
  assert.equal(server.refreshes(), 1)
  assert.equal(store.writes.length, 1)
  assert.equal(store.current?.accessToken?.reveal(), 'refreshed-access-token-1')
  assert.equal(store.current?.refreshToken?.reveal(), 'rotated-refresh-token-1')
  assert.equal(store.locked(), false, 'the lock is released')
})
