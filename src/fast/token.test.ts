import assert from 'node:assert/strict'
import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, test } from 'node:test'
import { fastTokenArgs, freshToken } from './token.js'

const TOKEN = 'fast-access-token-0123456789'
const HOUR = 3_600_000

let dir: string
let env: NodeJS.ProcessEnv
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authkeep-fast-'))
  env = { HOME: join(dir, 'home'), AUTHKEEP_HOME: dir }
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const profile = { token_endpoint: 'https://auth.example.com/token', client_id: 'cli', store: 'file' }

async function config(profiles: Record<string, unknown> = { work: profile }): Promise<void> {
  await writeFile(join(dir, 'config.json'), JSON.stringify({ version: 1, profiles }), { mode: 0o600 })
}

async function record(over: Record<string, unknown> = {}, name = 'work', mode = 0o600): Promise<void> {
  const now = Date.now()
  const credentials = join(dir, 'state', 'credentials')
  await mkdir(credentials, { recursive: true, mode: 0o700 })
  const file = join(credentials, `${name}.json`)
  await writeFile(
    file,
    JSON.stringify({
      version: 1,
      profile: name,
      state: 'active',
      secrets_in: 'file',
      access_token: TOKEN,
      refresh_token: 'fast-refresh-token-0123456789',
      expires_at: new Date(now + HOUR).toISOString(),
      obtained_at: new Date(now).toISOString(),
      updated_at: new Date(now).toISOString(),
      host: 'h#1',
      ...over,
    }),
  )
  await chmod(file, mode)
}

test('takes exactly the argument forms commander reads the same way, and nothing else', () => {
  assert.deepEqual(fastTokenArgs(['token']), { profile: undefined })
  assert.deepEqual(fastTokenArgs(['token', '--profile', 'work']), { profile: 'work' })
  assert.deepEqual(fastTokenArgs(['token', '--profile=work']), { profile: 'work' })
  for (const argv of [
    [],
    ['status'],
    ['token', '--help'],
    ['token', '-h'],
    ['token', '--profile'],
    ['token', '--profile', '--help'],
    ['token', '--profile', 'a', '--profile', 'b'],
    ['token', '--profile', 'a', 'extra'],
    ['token', 'extra'],
    ['token', '--', '--profile', 'a'],
    ['--profile', 'a', 'token'],
  ]) {
    assert.equal(fastTokenArgs(argv), null, argv.join(' '))
  }
})

test('serves a fresh token from the record, with or without --profile', async () => {
  await config()
  await record()
  assert.equal(await freshToken(['token', '--profile', 'work'], env), TOKEN)
  assert.equal(await freshToken(['token'], env), TOKEN)
  assert.equal(await freshToken(['token'], { ...env, AUTHKEEP_PROFILE: 'work' }), TOKEN)
})

test('leaves to the full CLI whatever it would refresh, refuse or report', async (t) => {
  const cases: [string, () => Promise<void>, NodeJS.ProcessEnv?][] = [
    ['no login yet', () => config()],
    [
      'a token that is due',
      () =>
        record({
          obtained_at: new Date(Date.now() - HOUR).toISOString(),
          expires_at: new Date(Date.now() + 30_000).toISOString(),
        }),
    ],
    ['no access token', () => record({ access_token: undefined })],
    ['a login marked as needed', () => record({ state: 'login_required' })],
    ['secrets in the keyring', () => record({ secrets_in: 'keyring', access_token: undefined })],
    ['a record others can read', () => record({}, 'work', 0o644)],
    ['a record that fails validation', () => record({ expires_at: 'tomorrow' })],
    ['an unknown record state', () => record({ state: 'odd' })],
    ['a forwarded token agent', () => record(), { AUTHKEEP_AGENT_SOCK: join(dir, 'agent.sock') }],
    ['an unknown profile', () => record(), { AUTHKEEP_PROFILE: 'other' }],
    [
      'a config that fails validation elsewhere',
      async () => {
        await config({ work: profile, bad: { ...profile, token_endpoint: 'http://example.com/token' } })
        await record()
      },
    ],
    [
      'several profiles and none named',
      async () => {
        await config({ work: profile, other: profile })
        await record()
      },
    ],
  ]
  for (const [name, arrange, extraEnv] of cases) {
    await t.test(name, async () => {
      await rm(dir, { recursive: true, force: true })
      await mkdir(dir, { recursive: true })
      await config()
      await arrange()
      const argv = name === 'several profiles and none named' ? ['token'] : ['token', '--profile=work']
      const e = { ...env, ...extraEnv }
      if (name === 'an unknown profile') assert.equal(await freshToken(['token'], e), undefined)
      else assert.equal(await freshToken(argv, e), undefined)
    })
  }
})

test("claude-code: serves a fresh token from Claude's own file, and leaves a due one to the full CLI", async () => {
  const claude = join(dir, 'claude')
  await mkdir(claude, { recursive: true })
  const e = { ...env, CLAUDE_CONFIG_DIR: claude }
  const oauth = { accessToken: TOKEN, refreshToken: 'claude-refresh', expiresAt: Date.now() + HOUR }
  await writeFile(join(claude, '.credentials.json'), JSON.stringify({ claudeAiOauth: oauth }), {
    mode: 0o600,
  })
  assert.equal(await freshToken(['token'], e), TOKEN, 'no config: the built-in claude-code profile')
  const due = { ...oauth, expiresAt: Date.now() + 20_000 }
  await writeFile(join(claude, '.credentials.json'), JSON.stringify({ claudeAiOauth: due }))
  // Its file has no issue time: the modification time stands for it, an hour ago here.
  const anHourAgo = new Date(Date.now() - HOUR)
  await utimes(join(claude, '.credentials.json'), anHourAgo, anHourAgo)
  assert.equal(await freshToken(['token'], e), undefined)
})

test("a due token while a peer holds the refresh lock: the peer's write is awaited and served", async () => {
  await config()
  const due = {
    obtained_at: new Date(Date.now() - HOUR).toISOString(),
    expires_at: new Date(Date.now() + 30_000).toISOString(),
  }
  await record(due)
  const lock = join(dir, 'state', 'credentials', 'work.lock')
  await mkdir(lock)
  const waiting = freshToken(['token', '--profile', 'work'], env)
  await new Promise((r) => setTimeout(r, 150))
  await record({ access_token: 'peer-refreshed-token-0123456789' })
  assert.equal(await waiting, 'peer-refreshed-token-0123456789')

  // The peer let go without writing: the full CLI takes over (and would refresh or report).
  await record(due)
  const abandoned = freshToken(['token', '--profile', 'work'], env)
  await new Promise((r) => setTimeout(r, 150))
  await rm(lock, { recursive: true })
  assert.equal(await abandoned, undefined)
})
