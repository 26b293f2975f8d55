// The same accounts mechanism for the codex profile (issue 12, point 5): its store is the only part
// that differs. Against the local stand-in for OpenAI's sign-in server, which refuses a reused token.
import assert from 'node:assert/strict'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, type TestContext, test } from 'node:test'
import {
  accessTokenJwt,
  codexAuthJson,
  type FakeOpenAi,
  startFakeOpenAi,
  writeCodexConfig,
} from '../bed/codex/fakeOpenAi.js'
import { BIN, runCli, sandbox, spawnCli, waitForStderr } from './harness.js'

let fake: FakeOpenAi
let dir: string
before(async () => {
  const bed = await sandbox()
  dir = bed.dir
  const log = join(dir, 'fake.jsonl')
  await writeFile(log, '')
  fake = await startFakeOpenAi({ logFile: log, behaviourFile: join(dir, 'behaviour.json') })
})
after(async () => {
  await fake?.close()
  const { rm } = await import('node:fs/promises')
  await rm(dir, { recursive: true, force: true })
})

async function codexBox(t: TestContext) {
  const sb = await sandbox(t)
  const codexHome = join(sb.dir, 'home', '.codex')
  sb.env.CODEX_HOME = codexHome
  const url = fake.url
  await writeCodexConfig(sb.env.AUTHKEEP_HOME as string, url)
  await mkdir(codexHome, { recursive: true, mode: 0o700 })
  // A login of no account yet, which the first switch backs up; a field Codex may add, which it keeps.
  const previous = codexAuthJson({
    accessToken: accessTokenJwt(Math.floor(Date.now() / 1000) + 3600),
    refreshToken: 'rt-previous',
  })
  await writeFile(join(codexHome, 'auth.json'), JSON.stringify({ ...previous, kept: 'yes' }), { mode: 0o600 })
  return Object.assign(sb, { authFile: join(codexHome, 'auth.json') })
}

async function addAccount(env: Record<string, string>, name: string): Promise<void> {
  const child = spawnCli(['account', 'add', name, '--profile', 'codex', '--method', 'device'], env)
  child.stdin?.end()
  const [, code] = await waitForStderr(child, /enter the code: (\S+)/)
  assert.equal((await fetch(`${fake.url}/codex/device?user_code=${code}`)).status, 200)
  const r = await child.output
  assert.equal(r.code, 0, r.stderr)
}

test('codex: two accounts, switched both ways with refreshes between; auth.json keeps its other fields', async (t) => {
  const sb = await codexBox(t)
  await addAccount(sb.env, 'a')
  await addAccount(sb.env, 'b')
  const slot = async (name: string) =>
    JSON.parse(await readFile(sb.recordFile(`codex@${name}`), 'utf8')) as { refresh_token: string }
  const auth = async () => JSON.parse(await readFile(sb.authFile, 'utf8'))
  const list = JSON.parse((await runCli(['account', 'list', '--profile', 'codex', '--json'], sb.env)).stdout)
  assert.deepEqual(
    list.accounts.map((r: { account: string; identity: { email?: string; subscription?: string } }) => [
      r.account,
      r.identity.email,
      r.identity.subscription,
    ]),
    [
      ['a', 'dev@example.test', 'plus'],
      ['b', 'dev@example.test', 'plus'],
    ],
  )
  const a = await slot('a')
  const sa = await runCli(['switch', 'a', '--profile', 'codex'], sb.env)
  assert.equal(sa.code, 0, sa.stderr)
  assert.equal((await auth()).tokens.refresh_token, a.refresh_token)
  assert.equal((await runCli(['refresh', '--profile', 'codex', '--force'], sb.env)).code, 0)
  const rotated = (await auth()).tokens.refresh_token
  assert.notEqual(rotated, a.refresh_token)
  const b = await slot('b')
  const s = await runCli(['switch', 'b', '--profile', 'codex'], sb.env)
  assert.equal(s.code, 0, s.stderr)
  assert.equal((await auth()).tokens.refresh_token, b.refresh_token)
  assert.equal((await slot('a')).refresh_token, rotated, "codex's latest tokens were saved")
  assert.equal((await auth()).kept, 'yes')
  // Both grants refresh at a server that refuses a reused token: neither was spent twice.
  for (const name of ['b', 'a']) {
    assert.equal((await runCli(['switch', name, '--profile', 'codex'], sb.env)).code, 0)
    const r = await runCli(['refresh', '--profile', 'codex', '--force'], sb.env)
    assert.equal(r.code, 0, `${name}: ${r.stderr}`)
  }
  // A directory binding cannot reach Codex, which reads only auth.json: said, not silently ignored.
  const project = join(sb.dir, 'project')
  await mkdir(project)
  await writeFile(join(project, '.authkeep-account'), 'codex=b\n')
  const child = spawnCli(['exec', '--profile', 'codex', '--', 'true'], sb.env, 60_000, [
    '/bin/sh',
    '-c',
    'cd "$0" && exec "$@"',
    project,
    process.execPath,
    BIN,
  ])
  child.stdin?.end()
  const bound = await child.output
  assert.equal(bound.code, 2)
  assert.match(
    bound.stderr,
    /binds account "b", but Codex reads its login only from its auth\.json.*; run: authkeep switch b --profile codex\n$/,
  )
})
