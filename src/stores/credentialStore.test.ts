import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, test } from 'node:test'
import type { ConfigError } from '../errors.js'
import { credentialFile, type Paths, resolvePaths } from '../profiles/paths.js'
import { Secret } from '../secret.js'
import type { Credential } from './credential.js'
import { createCredentialStore } from './credentialStore.js'
import { type Keyring, KeyringUnavailableError } from './keyring.js'

let dir: string
let paths: Paths
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authkeep-store-'))
  paths = resolvePaths({ AUTHKEEP_HOME: dir }, '/nonexistent')
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const noKeyring: Keyring = {
  get: () => Promise.reject(new KeyringUnavailableError('test')),
  set: () => Promise.reject(new KeyringUnavailableError('test')),
  delete: () => Promise.reject(new KeyringUnavailableError('test')),
}

function memoryKeyring(): Keyring & { entries: Map<string, string> } {
  const entries = new Map<string, string>()
  return {
    entries,
    get: async (a) => entries.get(a) ?? null,
    set: async (a, v) => void entries.set(a, v),
    delete: async (a) => void entries.delete(a),
  }
}

const credential = (over: Partial<Credential> = {}): Credential => ({
  profile: 'work',
  state: 'active',
  stateReason: undefined,
  tokenType: 'Bearer',
  accessToken: new Secret('access-token-AAAAAAAAAAAA'),
  refreshToken: new Secret('refresh-token-RRRRRRRRRRRR'),
  idToken: undefined,
  scope: 'openid offline_access',
  expiresAt: new Date('2030-01-01T00:00:00Z'),
  refreshExpiresAt: undefined,
  obtainedAt: new Date('2029-12-31T23:00:00Z'),
  updatedAt: new Date('2029-12-31T23:00:00Z'),
  host: 'h#1',
  secretsIn: 'file',
  extra: {},
  ...over,
})

test('writes a 0600 record in a 0700 directory and reads it back', async () => {
  const store = createCredentialStore(paths, () => noKeyring, 'work', process.getuid?.())
  await store.write(credential())
  const file = credentialFile(paths, 'work')
  assert.equal((await stat(file)).mode & 0o777, 0o600)
  assert.equal((await stat(paths.credentialsDir)).mode & 0o777, 0o700)
  const back = await store.read()
  assert.equal(back?.accessToken?.reveal(), 'access-token-AAAAAAAAAAAA')
  assert.equal(back?.expiresAt?.toISOString(), '2030-01-01T00:00:00.000Z')
})

test('fields it does not own survive a rewrite', async () => {
  const store = createCredentialStore(paths, () => noKeyring, 'work', process.getuid?.())
  await store.write(credential())
  const file = credentialFile(paths, 'work')
  const json = JSON.parse(await readFile(file, 'utf8'))
  await writeFile(file, JSON.stringify({ ...json, added_by_someone: { keep: true } }), { mode: 0o600 })
  const c = await store.read()
  assert.ok(c)
  await store.write({ ...c, accessToken: new Secret('access-token-BBBBBBBBBBBB') })
  const after = JSON.parse(await readFile(file, 'utf8'))
  assert.deepEqual(after.added_by_someone, { keep: true })
  assert.equal(after.access_token, 'access-token-BBBBBBBBBBBB')
})

test('secrets in the keyring stay out of the file', async () => {
  const keyring = memoryKeyring()
  const store = createCredentialStore(paths, () => keyring, 'work', process.getuid?.())
  await store.write(credential({ secretsIn: 'keyring' }))
  const text = await readFile(credentialFile(paths, 'work'), 'utf8')
  assert.ok(!text.includes('access-token-AAAA'))
  assert.ok(keyring.entries.get('work')?.includes('refresh-token-RRRR'))
  assert.equal((await store.read())?.refreshToken?.reveal(), 'refresh-token-RRRRRRRRRRRR')
  assert.match(store.describe(credential({ secretsIn: 'keyring' })), /keyring \(authkeep\/work\)/)
})

test('a record others can read is refused with the fix', async () => {
  const store = createCredentialStore(paths, () => noKeyring, 'work', process.getuid?.())
  await store.write(credential())
  await chmod(credentialFile(paths, 'work'), 0o644)
  await assert.rejects(
    store.read(),
    (e: ConfigError) =>
      /readable by other users/.test(e.message) && e.next === `chmod 600 ${credentialFile(paths, 'work')}`,
  )
})

test('an invalid record names the file and the field', async () => {
  const store = createCredentialStore(paths, () => noKeyring, 'work', process.getuid?.())
  await store.write(credential())
  const file = credentialFile(paths, 'work')
  const json = JSON.parse(await readFile(file, 'utf8'))
  await writeFile(file, JSON.stringify({ ...json, expires_at: 'tomorrow' }), { mode: 0o600 })
  await assert.rejects(
    store.read(),
    (e: ConfigError) => e.message.startsWith(file) && /"expires_at"/.test(e.message),
  )
  await writeFile(file, '{"version":1', { mode: 0o600 })
  await assert.rejects(store.read(), /not valid JSON/)
})

test('remove deletes the record and the keyring entry', async () => {
  const keyring = memoryKeyring()
  const store = createCredentialStore(paths, () => keyring, 'work', process.getuid?.())
  await store.write(credential({ secretsIn: 'keyring' }))
  await store.remove('keyring')
  assert.equal(await store.read(), undefined)
  assert.equal(keyring.entries.size, 0)
})
