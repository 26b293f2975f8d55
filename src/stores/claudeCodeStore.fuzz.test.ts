import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  assertDate,
  assertShowable,
  Finding,
  fileContent,
  nastyString,
  readsOrRejectsCleanly,
  runProperty,
  scratchHome,
  secretArb,
  validSidecar,
  weirdNumber,
  writeFuzzed,
  writeSidecar,
} from '../../test/fuzz/kit.js'
import type { Profile } from '../profiles/profile.js'
import { claudeConfigDir, createClaudeCodeStore } from './claudeCodeStore.js'

const AREA = 'claude-file'
const { root, dir: configDir } = await scratchHome('claude', 'claude')
const file = join(configDir, '.credentials.json')

const ms = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 7_258_118_400_000 }) },
  { weight: 1, arbitrary: weirdNumber },
)
const validFile = fc.record({
  claudeAiOauth: fc.record({
    accessToken: secretArb,
    refreshToken: secretArb,
    expiresAt: ms,
    scopes: fc.constantFrom(['user:inference', 'user:profile'], [], 'user:inference'),
    refreshTokenExpiresAt: fc.oneof(ms, fc.constant(null)),
    subscriptionType: fc.constant('max'),
  }),
  mcpOAuth: fc.constant({ server: { accessToken: 'kept' } }),
})
async function check([content, sidecar]: [
  string | Uint8Array,
  string | Uint8Array | undefined,
]): Promise<void> {
  await writeFuzzed(file, content)
  await writeSidecar(configDir, sidecar)
  const store = createClaudeCodeStore({ configDir, host: () => 'here' })
  await readsOrRejectsCleanly(root, file, async () => {
    const c = await store.read()
    if (c) {
      for (const k of ['expiresAt', 'refreshExpiresAt', 'obtainedAt', 'updatedAt'] as const)
        assertDate(c[k], k)
      // What status prints of the login: the reason and host come from authkeep's sidecar file.
      if (c.stateReason !== undefined) assertShowable(c.stateReason.replace(/FUZZSECRET/g, ''), 'stateReason')
    }
  })
}

test("Claude Code's credential file (and authkeep's sidecar): read or a one-line ConfigError naming the file; nothing written", async () => {
  await runProperty(
    AREA,
    fc.tuple(fileContent(validFile), fc.option(fileContent(validSidecar), { nil: undefined })),
    check,
  )
})

test('CLAUDE_CONFIG_DIR: any value gives a directory, the built-in default when it is empty', async () => {
  const profile = { claudeConfigDir: undefined } as Profile
  await runProperty(AREA, fc.option(nastyString, { nil: undefined }), (value) => {
    const dir = claudeConfigDir(profile, { CLAUDE_CONFIG_DIR: value }, '/home/u')
    if (typeof dir !== 'string' || dir === '')
      throw new Finding('failure', `no directory for ${JSON.stringify(value)}`)
    if (!value && dir !== '/home/u/.claude') throw new Finding('failure', `empty value gave ${dir}`)
  })
})
