import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { REMOTE_SCRIPT } from './remoteWriter.js'

const LOGIN = { accessToken: 'sk-ant-oat01-NEW', refreshToken: 'sk-ant-ort01-NEW', expiresAt: 1 }

/** The sh writer run as on a remote without authkeep (sh and awk from /usr/bin:/bin), in a scratch HOME. */
async function writeClaude(
  old: string | undefined,
): Promise<{ file: string; backups: string[]; stderr: string }> {
  const home = await mkdtemp(join(tmpdir(), 'authkeep-writer-'))
  try {
    const dir = join(home, '.claude')
    await mkdir(dir, { mode: 0o700 })
    const file = join(dir, '.credentials.json')
    if (old !== undefined) await writeFile(file, old, { mode: 0o600 })
    const r = spawnSync('sh', ['-c', REMOTE_SCRIPT, 'authkeep-handoff', 'claude-code', 'claude'], {
      input: `-\n${JSON.stringify({ claudeAiOauth: LOGIN })}\n`,
      env: { PATH: '/usr/bin:/bin', HOME: home },
      encoding: 'utf8',
    })
    assert.equal(r.status, 0, r.stderr)
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    const backupDir = join(home, '.local', 'state', 'authkeep', 'backups', 'claude-code')
    const names = await readdir(backupDir).catch(() => [] as string[])
    const backups = await Promise.all(names.map((n) => readFile(join(backupDir, n), 'utf8')))
    assert.deepEqual(await readdir(dir), ['.credentials.json'], 'no temp file is left')
    return { file: await readFile(file, 'utf8'), backups, stderr: r.stderr }
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}

test("the sh writer replaces only Claude's login and keeps every other key, whatever their strings hold", async () => {
  const old = JSON.stringify({
    claudeAiOauth: { accessToken: 'OLD' },
    mcpOAuth: { 'a|b': { token: 'x}"y{', list: [1, { n: '\\' }, '[', ']'] } },
    unicode: 'é ✓ \u0001',
  })
  const { file, backups } = await writeClaude(old)
  assert.deepEqual(JSON.parse(file), { ...JSON.parse(old), claudeAiOauth: LOGIN })
  assert.equal(backups.length, 1)
  const backup = JSON.parse(backups[0] as string)
  assert.equal(backup.kind, 'authkeep-backup')
  assert.equal(backup.version, 2)
  assert.equal(backup.reason, 'login')
  assert.equal(backup.content, old, 'the backup holds the old file byte for byte')
})

test('the sh writer adds the login to a file without one, keeps a trailing newline in the backup, and writes a first file alone', async () => {
  for (const old of ['{}', '{ "other" : 1 }\n']) {
    const { file, backups } = await writeClaude(old)
    assert.deepEqual(JSON.parse(file), { ...JSON.parse(old), claudeAiOauth: LOGIN })
    assert.equal(JSON.parse(backups[0] as string).content, old)
  }
  const first = await writeClaude(undefined)
  assert.deepEqual(JSON.parse(first.file), { claudeAiOauth: LOGIN })
  assert.deepEqual(first.backups, [], 'nothing to back up')
})

test('a file that is no JSON object is kept in the backup and replaced by the login alone', async () => {
  for (const old of ['not json', '[1,2]', '{"a":1} trailing', '{"a":"unterminated']) {
    const { file, backups, stderr } = await writeClaude(old)
    assert.deepEqual(JSON.parse(file), { claudeAiOauth: LOGIN }, old)
    assert.equal(JSON.parse(backups[0] as string).content, old)
    assert.match(stderr, /is not a JSON object; only the login is written \(the backup has the rest\)/)
  }
})

test('the sh writer puts a codex login in $CODEX_HOME/auth.json, backing up the file it replaces', async () => {
  const home = await mkdtemp(join(tmpdir(), 'authkeep-writer-'))
  try {
    const codexHome = join(home, 'codex-home')
    await mkdir(codexHome, { mode: 0o700 })
    const file = join(codexHome, 'auth.json')
    const old = '{"auth_mode":"apikey","OPENAI_API_KEY":"sk-old"}\n'
    await writeFile(file, old, { mode: 0o600 })
    const login = {
      auth_mode: 'chatgpt',
      OPENAI_API_KEY: null,
      tokens: { access_token: 'a', refresh_token: 'r' },
    }
    const r = spawnSync('sh', ['-c', REMOTE_SCRIPT, 'authkeep-handoff', 'codex', 'codex'], {
      input: `-\n${JSON.stringify(login)}\n`,
      env: { PATH: '/usr/bin:/bin', HOME: home, CODEX_HOME: codexHome },
      encoding: 'utf8',
    })
    assert.equal(r.status, 0, r.stderr)
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), login)
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    const backupDir = join(home, '.local', 'state', 'authkeep', 'backups', 'codex')
    const [name] = await readdir(backupDir)
    assert.equal(JSON.parse(await readFile(join(backupDir, name as string), 'utf8')).content, old)
  } finally {
    await rm(home, { recursive: true, force: true })
  }
})

test("the sh writer puts a gemini login where Gemini CLI reads it, and leaves Copilot's file to authkeep", async () => {
  const home = await mkdtemp(join(tmpdir(), 'authkeep-writer-'))
  try {
    const login = { access_token: 'ya29.NEW', refresh_token: '1//NEW', expiry_date: 1, token_type: 'Bearer' }
    const run = (kind: string, input: string) =>
      spawnSync(
        'sh',
        ['-c', REMOTE_SCRIPT, 'authkeep-handoff', kind === 'copilot' ? 'copilot' : 'gemini', kind],
        {
          input,
          env: { PATH: '/usr/bin:/bin', HOME: home, GEMINI_CLI_HOME: join(home, 'g') },
          encoding: 'utf8',
        },
      )
    const gemini = run('gemini', `-\n${JSON.stringify(login)}\n`)
    assert.equal(gemini.status, 0, gemini.stderr)
    const file = join(home, 'g', '.gemini', 'oauth_creds.json')
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), login)
    assert.equal((await stat(file)).mode & 0o777, 0o600)

    const copilot = run('copilot', `-\n{"version":1}\n`)
    assert.equal(copilot.status, 3)
    assert.match(copilot.stderr, /install authkeep on this host/)
    assert.deepEqual(await readdir(home).then((n) => n.sort()), ['g'], 'nothing written for copilot')
  } finally {
    await rm(home, { recursive: true, force: true })
  }
})
