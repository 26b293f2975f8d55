import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import type { AuthkeepError } from '../errors.js'
import { readEnvironment } from '../ports/environment.js'
import { bufferIo } from '../ports/io.js'
import { toProfile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import type { Credential } from '../stores/credential.js'
import { KeyringUnavailableError } from '../stores/keyring.js'
import { memoryStore } from '../stores/memoryStore.js'
import { obtainTokens, storeLogin } from './login.js'
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

test('login: a server that refuses the device flow is asked again with the paste flow', async (t) => {
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(req.url ?? '')
    req.resume()
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      if (req.url === '/device') {
        res.statusCode = 400
        res.end(JSON.stringify({ error: 'unsupported_grant_type' }))
        return
      }
      res.end(
        JSON.stringify({
          access_token: 'pasted-access-token-0123456789',
          token_type: 'Bearer',
          expires_in: 3600,
        }),
      )
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const profile = toProfile('work', {
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    device_authorization_endpoint: `${base}/device`,
    client_id: 'cli',
    allow_insecure_http: true,
  })
  const io = bufferIo(Readable.from([]))
  // The person: reads the URL printed for the paste flow and pastes back where the browser landed.
  const prompter = {
    line: async () => {
      const url = new URL(
        /http:\/\/127\.0\.0\.1:\d+\/authorize\S+/.exec(io.stderr)?.[0] ?? assert.fail(io.stderr),
      )
      return `http://127.0.0.1/callback?code=the-code&state=${url.searchParams.get('state')}`
    },
    secret: async () => assert.fail('no secret is asked for'),
  }
  const env = readEnvironment({ SSH_CONNECTION: '203.0.113.9 51000 198.51.100.7 22' }, true)
  const tokens = await obtainTokens(testDeps({ io, prompter, env }), profile, {
    method: 'auto',
    port: undefined,
    timeoutSeconds: 30,
    store: undefined,
  })
  assert.equal(tokens.access_token, 'pasted-access-token-0123456789')
  assert.match(io.stderr, /with the device flow/)
  assert.match(io.stderr, /The server refused the device flow; falling back to the paste flow\./)
  assert.deepEqual(seen, ['/device', '/token'])
})
