import assert from 'node:assert/strict'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import {
  assertCleanError,
  assertUnchanged,
  Finding,
  fileContent,
  runProperty,
  scratchDir,
  secretArb,
  snapshot,
  weirdValue,
} from '../../test/fuzz/kit.js'
import { ConfigError } from '../errors.js'
import { setApiKeyHelper } from './claudeSettings.js'
import { testDeps } from './testDeps.js'

const AREA = 'settings'
const root = await scratchDir('settings')
after(() => rm(root, { recursive: true, force: true }))
let n = 0
const deps = testDeps({ clock: { now: () => new Date(Date.UTC(2030, 0, 1, 0, 0, 0, n)) } })

const validSettings = fc.record({
  apiKeyHelper: fc.oneof(fc.constant('/usr/bin/get-key'), weirdValue),
  env: fc.dictionary(fc.string(), fc.oneof(secretArb, fc.string()), { maxKeys: 3 }),
  permissions: fc.constant({ allow: ['Bash(ls)'] }),
  model: fc.constant('opus'),
})

const without = (v: Record<string, unknown>) => {
  const { apiKeyHelper: _h, ...rest } = v
  return rest
}

/**
 * A settings.json that is not a JSON object is refused in one line naming it, and nothing is written;
 * one that is gets apiKeyHelper set, every other setting kept, and a backup of the text as it was.
 */
async function check([content, command]: [string | Uint8Array, string | undefined]): Promise<void> {
  const configDir = join(root, `c${++n}`)
  const file = join(configDir, 'settings.json')
  await import('node:fs/promises').then((fs) => fs.mkdir(configDir))
  await writeFile(file, content)
  const before = await snapshot(configDir)
  let change: Awaited<ReturnType<typeof setApiKeyHelper>>
  try {
    change = await setApiKeyHelper(deps, configDir, command)
  } catch (err) {
    assertCleanError(err, { names: file })
    await assertUnchanged(configDir, before)
    await rm(configDir, { recursive: true })
    return
  }
  const text = Buffer.from(content).toString('utf8')
  const kept = text.trim() === '' ? {} : without(JSON.parse(text))
  const after = JSON.parse(await readFile(file, 'utf8'))
  try {
    // Compared as text: assert.deepEqual recurses too deep for the nested values the generator makes.
    assert.equal(JSON.stringify(without(after)), JSON.stringify(kept))
    assert.equal(after.apiKeyHelper, command)
    if (change.backup === undefined) throw new Error('no backup was made')
    assert.equal(await readFile(change.backup, 'utf8'), text)
    assert.equal((await readdir(configDir)).length, 2)
  } catch (err) {
    throw new Finding('lost', `settings were not kept: ${(err as Error).message}`)
  }
  await rm(configDir, { recursive: true })
}

test("Claude's settings.json: apiKeyHelper set with every other setting and a backup kept, or a one-line ConfigError and nothing written", async () => {
  await runProperty(
    AREA,
    fc.tuple(
      fileContent(validSettings),
      fc.option(fc.constant("'/bin/authkeep' claude helper"), { nil: undefined }),
    ),
    check,
  )
})

test('ConfigError is what settings that are not an object raise', async () => {
  const dir = await scratchDir('settings-array')
  await writeFile(join(dir, 'settings.json'), '[]')
  await assert.rejects(setApiKeyHelper(deps, dir, 'x'), ConfigError)
  await rm(dir, { recursive: true })
})
