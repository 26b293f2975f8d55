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
import { codexHome, createCodexStore } from './codexStore.js'

const AREA = 'codex-file'
const { root, dir: home } = await scratchHome('codex', 'codex')
const file = join(home, 'auth.json')

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
/** An access token as Codex reads it: a JWT whose exp may be anything at all. */
const jwt = fc
  .oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 4_102_444_800 }) },
    { weight: 1, arbitrary: weirdNumber },
    { weight: 1, arbitrary: nastyString },
  )
  .map((exp) => `${b64({ alg: 'none' })}.${b64({ exp })}.c2ln`)
const validFile = fc.record({
  auth_mode: fc.constantFrom('chatgpt', 'apikey', null),
  OPENAI_API_KEY: fc.oneof(fc.constant(null), secretArb),
  tokens: fc.record({
    id_token: fc.oneof(jwt, secretArb),
    access_token: fc.oneof(jwt, secretArb),
    refresh_token: secretArb,
    account_id: fc.oneof(nastyString, fc.constant(null)),
  }),
  last_refresh: fc.oneof(
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constant('2026-11-30T07:02:28.372608353Z'),
    nastyString,
  ),
})
async function check([content, sidecar]: [
  string | Uint8Array,
  string | Uint8Array | undefined,
]): Promise<void> {
  await writeFuzzed(file, content)
  await writeSidecar(home, sidecar)
  const store = createCodexStore({ codexHome: home, host: () => 'here' })
  await readsOrRejectsCleanly(root, file, async () => {
    const c = await store.read()
    if (c) {
      for (const k of ['expiresAt', 'obtainedAt', 'updatedAt'] as const) assertDate(c[k], k)
      if (c.stateReason !== undefined) assertShowable(c.stateReason.replace(/FUZZSECRET/g, ''), 'stateReason')
    }
  })
}

test("Codex's auth.json (and authkeep's note beside it): read or a one-line ConfigError naming the file; nothing written", async () => {
  await runProperty(
    AREA,
    fc.tuple(fileContent(validFile), fc.option(fileContent(validSidecar), { nil: undefined })),
    check,
  )
})

test('CODEX_HOME: any value gives a directory, ~/.codex when it is empty', async () => {
  const profile = { codexHome: undefined } as Profile
  await runProperty(AREA, fc.option(nastyString, { nil: undefined }), (value) => {
    const dir = codexHome(profile, { CODEX_HOME: value }, '/home/u')
    if (typeof dir !== 'string' || dir === '')
      throw new Finding('failure', `no directory for ${JSON.stringify(value)}`)
    if (!value && dir !== '/home/u/.codex') throw new Finding('failure', `empty value gave ${dir}`)
  })
})
