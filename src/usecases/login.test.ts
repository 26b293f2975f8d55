import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import type { AuthkeepError } from '../errors.js'
import { bufferIo } from '../ports/io.js'
import { toProfile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import type { Credential } from '../stores/credential.js'
import { KeyringUnavailableError } from '../stores/keyring.js'
import { memoryStore } from '../stores/memoryStore.js'
import { storeLogin } from './login.js'
import { testDeps } from './testDeps.js'

const work = toProfile('work', { token_endpoint: 'https://auth.example.com/token', client_id: 'cli' })
const credential: Credential = {
  profile: 'work',
  state: 'active',
  stateReason: undefined,
  tokenType: 'Bearer',
  accessToken: new Secret('access-token-AAAAAAAAAAAA'),
  refreshToken: new Secret('refresh-token-RRRRRRRRRRRR'),
  idToken: undefined,
  scope: undefined,
  expiresAt: new Date(Date.now() + 3_600_000),
  refreshExpiresAt: undefined,
  obtainedAt: new Date(),
  updatedAt: new Date(),
  host: 'h#1',
  secretsIn: 'file',
  extra: {},
}

/** A store whose keyring refuses every write, as on a machine without a secret service. */
function withoutKeyring() {
  const store = memoryStore()
  const write = store.write
  store.write = async (c) => {
    if (c.secretsIn === 'keyring') throw new KeyringUnavailableError('no secret service on the bus')
    return write(c)
  }
  return store
}

test('login: the keyring refused, "auto" falls back to the 0600 file and says so', async () => {
  const store = withoutKeyring()
  const io = bufferIo(Readable.from([]))
  const stored = await storeLogin(testDeps({ io, credentialsOf: () => store }), work, credential, 'auto')
  assert.equal(stored.secretsIn, 'file')
  assert.equal(store.current?.secretsIn, 'file')
  assert.match(io.stderr, /keyring is not available .*; storing the tokens in a 0600 file instead/)
})

test('login: the keyring refused, "keyring" stores nothing and names --store file', async () => {
  const store = withoutKeyring()
  await assert.rejects(
    storeLogin(testDeps({ credentialsOf: () => store }), work, credential, 'keyring'),
    (err: AuthkeepError) => {
      assert.match(err.message, /nothing was stored/)
      assert.equal(err.next, 'authkeep login --profile work --store file')
      return true
    },
  )
  assert.equal(store.current, undefined)
})
