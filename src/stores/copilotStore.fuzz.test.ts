import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  Finding,
  fileContent,
  nastyString,
  readsOrRejectsCleanly,
  runProperty,
  scratchHome,
  secretArb,
  writeFuzzed,
} from '../../test/fuzz/kit.js'
import { Secret } from '../secret.js'
import { createCopilotStore, splitComments } from './copilotStore.js'

const AREA = 'copilot-file'
const { root, dir } = await scratchHome('copilot', '.copilot')
const file = join(dir, 'config.json')
const GH = 'https://github.com'
const store = createCopilotStore({
  dir,
  githubHost: GH,
  profile: 'copilot',
  host: () => 'here',
  stateFile: join(root, 'copilot.state.json'),
  lockFile: join(root, 'copilot.lock'),
  whoAmI: async () => 'octocat',
})

const login = fc.constantFrom('octocat', 'mona', 'a-b')
const validFile = fc.tuple(login, secretArb, secretArb, nastyString).map(([user, token, other, kept]) => ({
  authTokens: { [`${GH}:${user}`]: { token }, 'https://ghe.example:x': { token: other } },
  loggedInUsers: [
    { host: GH, login: user, kind: 'githubDotCom' },
    { host: 'https://ghe.example', login: 'x', kind: 'proxima' },
  ],
  lastLoggedInUser: { host: GH, login: user },
  kept,
}))
const HEADER = '// User settings belong in settings.json.\n// This file is managed automatically.\n'
/** With Copilot's comment lines in front, now and then. */
const withComments = (content: string | Uint8Array) =>
  fc
    .constantFrom(true, false)
    .map((comment) => (comment && typeof content === 'string' ? HEADER + content : content))

test("Copilot CLI's config.json (comment lines and all): read or a one-line ConfigError naming the file; nothing written", async () => {
  await runProperty(AREA, fileContent(validFile).chain(withComments), async (content) => {
    await writeFuzzed(file, content)
    await readsOrRejectsCleanly(root, file, async () => {
      await store.read()
    })
  })
})

test("a login written into Copilot's file keeps its comments, other hosts' logins and other keys", async () => {
  await runProperty(AREA, fc.tuple(validFile, secretArb), async ([original, token]) => {
    await writeFile(file, `${HEADER}${JSON.stringify(original, null, 2)}\n`, { mode: 0o600 })
    const c = await store.read()
    if (!c) throw new Finding('failure', 'a valid file read as no login')
    await store.write({ ...c, accessToken: new Secret(token) })
    const text = await readFile(file, 'utf8')
    if (!text.startsWith(HEADER)) throw new Finding('lost', 'the comment lines were dropped')
    const after = JSON.parse(splitComments(text).json)
    if (after.kept !== original.kept) throw new Finding('lost', 'a key Copilot keeps was dropped')
    if (
      JSON.stringify(after.authTokens['https://ghe.example:x']) !==
      JSON.stringify(original.authTokens['https://ghe.example:x'])
    )
      throw new Finding('lost', "another host's login changed")
    if ((await store.read())?.accessToken?.reveal() !== token)
      throw new Finding('failure', 'the new token did not read back')
  })
})
