import assert from 'node:assert/strict'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { after, test } from 'node:test'
import fc from 'fast-check'
import {
  assertDate,
  Finding,
  fileContent,
  isoArb,
  nearMissJson,
  readsOrRejectsCleanly,
  runProperty,
  scratchDir,
  secretArb,
  weirdValue,
} from '../../test/fuzz/kit.js'
import { ConfigError } from '../errors.js'
import { credentialFile, resolvePaths } from '../profiles/paths.js'
import type { Credential } from './credential.js'
import { createCredentialStore } from './credentialStore.js'
import type { Keyring } from './keyring.js'

const AREA = 'credential-record'
const dir = await scratchDir('record')
after(() => import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true })))
const paths = resolvePaths({ AUTHKEEP_HOME: dir }, '/nonexistent')
const file = credentialFile(paths, 'work')
await mkdir(paths.credentialsDir, { recursive: true, mode: 0o700 })

/** A keyring that serves one fuzzed blob and fails the property on any write. */
function readOnlyKeyring(blob: string | null): Keyring {
  const written = async () => {
    throw new Finding('lost', 'reading a record wrote to the keyring')
  }
  return { get: async () => blob, set: written, delete: written }
}

const validRecord = fc.record({
  version: fc.constant(1),
  profile: fc.constant('work'),
  state: fc.constantFrom('active', 'login_required'),
  secrets_in: fc.constantFrom('file', 'keyring'),
  token_type: fc.constant('Bearer'),
  scope: fc.constant('openid offline_access'),
  expires_at: isoArb,
  refresh_expires_at: isoArb,
  obtained_at: isoArb,
  updated_at: isoArb,
  host: fc.constant('h#1'),
  access_token: secretArb,
  refresh_token: secretArb,
  id_token: secretArb,
})
const validSecrets = fc.record({ access_token: secretArb, refresh_token: secretArb })

function assertCredential(c: Credential): void {
  for (const k of ['expiresAt', 'refreshExpiresAt', 'obtainedAt', 'updatedAt'] as const) assertDate(c[k], k)
}

async function check([content, blob]: [string | Uint8Array, string | null]): Promise<void> {
  await writeFile(file, content)
  await chmod(file, 0o600)
  const store = createCredentialStore(paths, () => readOnlyKeyring(blob), 'work', process.getuid?.())
  const where = (err: Error) => (err.message.includes('keyring') ? 'keyring authkeep/work' : file)
  await readsOrRejectsCleanly(dir, where, async () => {
    const c = await store.read()
    if (c) assertCredential(c)
  })
}

const blobArb = fc.oneof(
  fc.constant(null),
  nearMissJson(validSecrets),
  fc.string(),
  weirdValue.map((v) => JSON.stringify(v) ?? 'null'),
)

test("authkeep's credential record: read or a one-line ConfigError naming the file; nothing written", async () => {
  await runProperty(AREA, fc.tuple(fileContent(validRecord), blobArb), check)
})

test('the keyring half of a record: read or a one-line error naming the keyring entry; nothing written', async () => {
  const keyringRecord = validRecord.map((r) => {
    const { access_token: _a, refresh_token: _r, id_token: _i, ...rest } = r
    return JSON.stringify({ ...rest, secrets_in: 'keyring' })
  })
  await runProperty(AREA, fc.tuple(keyringRecord, blobArb), check)
})

test('ConfigError is what a broken record raises', async () => {
  await writeFile(file, '{"version":2}', { mode: 0o600 })
  await createCredentialStore(paths, () => readOnlyKeyring(null), 'work', process.getuid?.())
    .read()
    .then(
      () => assert.fail('a record of version 2 was accepted'),
      (err) => assert.ok(err instanceof ConfigError),
    )
})
