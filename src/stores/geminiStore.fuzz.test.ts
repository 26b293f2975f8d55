import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  assertDate,
  Finding,
  fileContent,
  nastyString,
  readsOrRejectsCleanly,
  runProperty,
  scratchHome,
  secretArb,
  weirdNumber,
  writeFuzzed,
} from '../../test/fuzz/kit.js'
import { Secret } from '../secret.js'
import { createGeminiStore, geminiDir } from './geminiStore.js'

const AREA = 'gemini-file'
const { root, dir } = await scratchHome('gemini', '.gemini')
const file = join(dir, 'oauth_creds.json')
const store = createGeminiStore({
  dir,
  profile: 'gemini',
  host: () => 'here',
  stateFile: join(root, 'gemini.state.json'),
  lockFile: join(root, 'gemini.lock'),
})

const ms = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 7_258_118_400_000 }) },
  { weight: 1, arbitrary: weirdNumber },
  { weight: 1, arbitrary: fc.constant(null) },
)
const validFile = fc.record({
  access_token: secretArb,
  refresh_token: secretArb,
  scope: fc.constant('https://www.googleapis.com/auth/cloud-platform'),
  token_type: fc.constant('Bearer'),
  id_token: fc.option(secretArb, { nil: undefined }),
  expiry_date: ms,
  kept: nastyString,
})

test("Gemini CLI's oauth_creds.json: read or a one-line ConfigError naming the file; nothing written", async () => {
  await runProperty(AREA, fileContent(validFile), async (content) => {
    await writeFuzzed(file, content)
    await readsOrRejectsCleanly(root, file, async () => {
      const c = await store.read()
      if (c) for (const k of ['expiresAt', 'obtainedAt', 'updatedAt'] as const) assertDate(c[k], k)
    })
  })
})

test("a refresh written over Gemini's file keeps every field Gemini put there, and reads back", async () => {
  await runProperty(AREA, fc.tuple(validFile, secretArb), async ([original, access]) => {
    await writeFile(file, JSON.stringify(original), { mode: 0o600 })
    const c = await store.read()
    if (!c) throw new Finding('failure', 'a valid file read as no login')
    const expiresAt = new Date(Date.now() + 3_600_000)
    await store.write({ ...c, accessToken: new Secret(access), expiresAt })
    const after = JSON.parse(await readFile(file, 'utf8'))
    if (after.kept !== original.kept) throw new Finding('lost', 'a field Gemini keeps was dropped')
    if (after.refresh_token !== original.refresh_token) throw new Finding('lost', 'the refresh token changed')
    if (after.expiry_date !== expiresAt.getTime()) throw new Finding('failure', 'expiry_date is not in ms')
    const again = await store.read()
    if (again?.accessToken?.reveal() !== access)
      throw new Finding('failure', 'the new token did not read back')
  })
})

test('GEMINI_CLI_HOME: any value gives a directory, $HOME/.gemini when it is empty', async () => {
  await runProperty(AREA, fc.option(nastyString, { nil: undefined }), (value) => {
    const d = geminiDir({ GEMINI_CLI_HOME: value }, '/home/u')
    if (!d.endsWith('.gemini'))
      throw new Finding('failure', `no .gemini directory for ${JSON.stringify(value)}`)
    if (!value && d !== '/home/u/.gemini') throw new Finding('failure', `empty value gave ${d}`)
  })
})
