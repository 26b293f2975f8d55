import { mkdir, rm, writeFile } from 'node:fs/promises'
import { after, test } from 'node:test'
import fc from 'fast-check'
import {
  assertDate,
  Finding,
  fileContent,
  isoArb,
  nastyString,
  nearMissJson,
  readsOrRejectsCleanly,
  runProperty,
  scratchDir,
  secretArb,
} from '../../test/fuzz/kit.js'
import { resolvePaths } from '../profiles/paths.js'
import type { Keyring } from './keyring.js'
import { createKeyStore } from './keyStore.js'

const AREA = 'keys'
const dir = await scratchDir('keys')
after(() => rm(dir, { recursive: true, force: true }))
const paths = resolvePaths({ AUTHKEEP_HOME: dir }, '/nonexistent')

const validKey = fc.record({
  version: fc.constant(1),
  profile: fc.constant('claude-code'),
  kind: fc.constantFrom('api_key', 'oauth_token'),
  secrets_in: fc.constantFrom('file', 'keyring'),
  value: secretArb,
  created_at: isoArb,
  expires_at: fc.oneof(isoArb, nastyString),
})

test('a key file: the key, or a one-line ConfigError naming the file; never an Invalid Date; nothing written', async () => {
  const keyring = (value: string | null): Keyring => {
    const written = async () => {
      throw new Finding('lost', 'reading a key wrote to the keyring')
    }
    return { get: async () => value, set: written, delete: written }
  }
  await runProperty(
    AREA,
    fc.tuple(fc.oneof(fileContent(validKey), nearMissJson(validKey)), fc.option(secretArb, { nil: null })),
    async ([content, inKeyring]) => {
      const keys = createKeyStore(paths, () => keyring(inKeyring))
      const file = keys.file('claude-code')
      await mkdir(`${dir}/state/keys`, { recursive: true })
      await writeFile(file, content, { mode: 0o600 })
      await readsOrRejectsCleanly(dir, file, async () => {
        const key = await keys.get('claude-code')
        if (key) assertDate(key.expiresAt, 'expiresAt')
      })
    },
  )
})
