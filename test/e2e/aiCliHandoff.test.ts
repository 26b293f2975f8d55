// The receiving end of `login --for` for the gemini and copilot built-ins: the login lands in each
// CLI's own file, in its shape, after a backup of what it replaces.
import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { credentialFileContent } from '../../src/handoff/payload.js'
import { GEMINI_DEFAULTS } from '../../src/profiles/gemini.js'
import { toProfile } from '../../src/profiles/profile.js'
import { Secret } from '../../src/secret.js'
import { aiCliSandbox, copilotAt, FAKE_GITHUB } from '../bed/aiClis/aiCliSandbox.js'
import { assertNoSecrets, runCli, sandbox, spawnCli, waitForStderr } from './harness.js'

const credential = (access: string, refresh?: string) => ({
  profile: 'x',
  state: 'active' as const,
  stateReason: undefined,
  tokenType: 'bearer',
  accessToken: new Secret(access),
  refreshToken: refresh ? new Secret(refresh) : undefined,
  idToken: undefined,
  scope: 'openid',
  expiresAt: new Date(Date.now() + 3_600_000),
  refreshExpiresAt: undefined,
  obtainedAt: new Date(),
  updatedAt: new Date(),
  host: 'laptop',
  secretsIn: 'file' as const,
  extra: {},
})

test("login --receive --profile gemini writes Gemini CLI's oauth_creds.json, backing up the one it replaces", async () => {
  const sb = await sandbox()
  try {
    const dir = join(sb.env.HOME as string, '.gemini')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writeFile(join(dir, 'oauth_creds.json'), '{"access_token":"ya29.OLD","refresh_token":"1//OLD"}', {
      mode: 0o600,
    })
    const c = credential('ya29.HANDEDOVERACCESS-aaaaaaaaaaaaaaaa', '1//HANDEDOVERREFRESH-bbbbbbbbbbbbbb')
    const content = credentialFileContent(toProfile('gemini', GEMINI_DEFAULTS), c)
    const r = await runCli(['login', '--receive', '--profile', 'gemini'], sb.env, `-\n${content}\n`)
    assert.equal(r.code, 0, r.stderr)
    const file = JSON.parse(await readFile(join(dir, 'oauth_creds.json'), 'utf8'))
    assert.equal(file.access_token, 'ya29.HANDEDOVERACCESS-aaaaaaaaaaaaaaaa')
    assert.equal(file.refresh_token, '1//HANDEDOVERREFRESH-bbbbbbbbbbbbbb')
    assert.equal(file.expiry_date, c.expiresAt.getTime())
    const backups = await readdir(join(sb.env.AUTHKEEP_HOME as string, 'state', 'backups', 'gemini'))
    assert.ok(backups.some((n) => n.endsWith('-login.json')))
    assertNoSecrets([r.stdout, r.stderr], [file.access_token, file.refresh_token])
    const token = await runCli(['token', '--profile', 'gemini'], sb.env)
    assert.equal(token.stdout, `${file.access_token}\n`)
  } finally {
    await sb.cleanup()
  }
})

test("login --receive --profile copilot files the token under its GitHub login in Copilot CLI's config.json", async () => {
  const sb = await aiCliSandbox()
  try {
    await sb.configure({
      copilot: copilotAt(sb.url),
    })
    const content = credentialFileContent(
      toProfile('copilot', { token_endpoint: 'x', client_id: 'y', kind: 'copilot' }),
      credential(FAKE_GITHUB.token),
    )
    const r = await sb.authkeep(['login', '--receive', '--profile', 'copilot'], {}, `-\n${content}\n`)
    assert.equal(r.code, 0, r.stderr)
    assert.ok(
      r.requests.some((q) => q.path === '/user'),
      'asked GitHub whose token it is',
    )
    const text = await readFile(join(sb.home, '.copilot', 'config.json'), 'utf8')
    assert.match(text, /^\/\/ /, "Copilot's comment header")
    assert.match(text, new RegExp(`"${sb.url}:octocat"`))
    assert.equal((await sb.authkeep(['token', '--profile', 'copilot'])).stdout, `${FAKE_GITHUB.token}\n`)
  } finally {
    await sb.cleanup()
  }
})

test('the token agent serves the gemini and copilot logins to a machine that has only its socket', async () => {
  const laptop = await sandbox()
  const remote = await sandbox()
  let agent: ReturnType<typeof spawnCli> | undefined
  try {
    const home = laptop.env.HOME as string
    await mkdir(join(home, '.gemini'), { recursive: true, mode: 0o700 })
    const access = 'ya29.AGENTSERVEDGEMINITOKEN-aaaaaaaaaaaaaaaa'
    await writeFile(
      join(home, '.gemini', 'oauth_creds.json'),
      JSON.stringify({ access_token: access, refresh_token: '1//r', expiry_date: Date.now() + 3_000_000 }),
      { mode: 0o600 },
    )
    await mkdir(join(home, '.copilot'), { recursive: true, mode: 0o700 })
    const github = 'gho_AGENTSERVEDCOPILOTTOKEN-bbbbbbbbbbbbbb'
    await writeFile(
      join(home, '.copilot', 'config.json'),
      `// managed\n${JSON.stringify({ authTokens: { 'https://github.com:octocat': { token: github } }, lastLoggedInUser: { host: 'https://github.com', login: 'octocat' } })}\n`,
      { mode: 0o600 },
    )
    const served = ['--profile', 'gemini', '--profile', 'copilot']
    agent = spawnCli(
      ['agent', ...served, '--socket', join(laptop.dir, 'agent', 'agent.sock')],
      laptop.env,
      60_000,
    )
    const [, socket] = await waitForStderr(agent, /^export AUTHKEEP_AGENT_SOCK=(\S+)$/m)
    const env = { ...remote.env, AUTHKEEP_AGENT_SOCK: socket as string }
    const t = await runCli(['token', '--profile', 'gemini'], env)
    assert.equal(t.stdout, `${access}\n`, t.stderr)
    const r = await runCli(
      ['exec', '--profile', 'copilot', '--', 'sh', '-c', 'echo "$COPILOT_GITHUB_TOKEN"'],
      env,
    )
    assert.equal(r.stdout, `${github}\n`, r.stderr)
    assert.equal(
      await readdir(remote.env.HOME as string)
        .catch(() => [])
        .then((n) => n.length),
      0,
      'nothing stored on the remote',
    )
  } finally {
    agent?.kill('SIGTERM')
    await agent?.output
    await laptop.cleanup()
    await remote.cleanup()
  }
})
