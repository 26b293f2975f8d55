import { writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  assertCleanError,
  Finding,
  fileContent,
  nastyString,
  readsOrRejectsCleanly,
  runProperty,
  scratchRoot,
  secretArb,
  weirdValue,
} from '../../test/fuzz/kit.js'
import { validate } from '../validation.js'
import { configuredProfiles, loadConfig, pickProfile } from './configFile.js'
import { resolvePaths } from './paths.js'
import { profileSchema } from './profile.js'

const AREA = 'config'
const dir = await scratchRoot('config')
const paths = resolvePaths({ AUTHKEEP_HOME: dir }, '/nonexistent')

const url = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('https://id.example.com/token', 'http://127.0.0.1:8080/t') },
  { weight: 1, arbitrary: fc.oneof(nastyString, fc.webUrl()) },
)
const validProfile = fc.record(
  {
    issuer: url,
    token_endpoint: url,
    authorization_endpoint: url,
    client_id: fc.oneof(fc.constant('my-cli'), secretArb),
    scope: fc.constant('openid offline_access'),
    store: fc.constantFrom('auto', 'file', 'keyring'),
    refresh_margin_seconds: fc.integer({ min: 0, max: 86_400 }),
    authorize_params: fc.dictionary(nastyString, fc.oneof(secretArb, nastyString), { maxKeys: 3 }),
    claude_config_dir: fc.constant('/x'),
  },
  { requiredKeys: ['token_endpoint', 'client_id'] },
)
const validConfig = fc.record({
  version: fc.constant(1),
  profiles: fc.record({ work: validProfile, 'claude-code': fc.constant({ scope: 'user:inference' }) }),
})

async function checkFile(content: string | Uint8Array): Promise<void> {
  await writeFile(paths.configFile, content)
  await readsOrRejectsCleanly(dir, paths.configFile, async () => {
    const config = await loadConfig(paths)
    if (!config.profiles.has('claude-code')) throw new Finding('failure', 'the built-in profile went missing')
    // What every command does next with a loaded config.
    configuredProfiles(config)
    try {
      pickProfile(config, undefined, {}, 'token')
    } catch (err) {
      assertCleanError(err)
    }
  })
}

test('config.json: loaded or a one-line ConfigError naming the file and field; nothing written', async () => {
  await runProperty(AREA, fileContent(validConfig), checkFile)
})

test('one profile entry (profileSchema): valid or a one-line error naming the field', async () => {
  await runProperty(AREA, fc.oneof(validProfile, weirdValue), (value) => {
    try {
      validate('config.json', value, profileSchema)
    } catch (err) {
      assertCleanError(err, { names: 'config.json' })
    }
  })
})

test('--profile / AUTHKEEP_PROFILE: a profile or a one-line usage error that echoes no secret', async () => {
  await writeFile(paths.configFile, JSON.stringify({ version: 1, profiles: {} }))
  const config = await loadConfig(paths)
  await runProperty(AREA, fc.oneof(nastyString, secretArb), (name) => {
    try {
      pickProfile(config, undefined, { AUTHKEEP_PROFILE: name }, 'token')
    } catch (err) {
      assertCleanError(err)
    }
  })
})
