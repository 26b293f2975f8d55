// The copilot profile proven with the real Copilot CLI (@github/copilot) as the client, offline: a
// device login against a fake of GitHub in a loopback-only network namespace, on a box without a
// keychain (no D-Bus session), stores the token where Copilot finds it.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  aiCliSandbox,
  COPILOT_BIN,
  COPILOT_PKG_CACHE,
  copilotAt,
  FAKE_GITHUB,
  requireBin,
} from '../bed/aiClis/aiCliSandbox.js'
import { assertNoSecrets } from './harness.js'

const other = { 'https://ghe.example.com:mona': { token: 'gho_otherHostToken' } }
const HEADER = '// User settings belong in settings.json.\n// This file is managed automatically.\n'

/** config.json without its comment lines. */
const parsed = (text: string) =>
  JSON.parse(
    text
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('//'))
      .join('\n'),
  )

test("copilot: a device login writes Copilot CLI's config.json, and the real copilot finds the token there without a keychain", async () => {
  const bin = requireBin(COPILOT_BIN)
  const sb = await aiCliSandbox()
  try {
    await sb.configure({ copilot: copilotAt(sb.url) })
    const dir = join(sb.home, '.copilot')
    const file = join(dir, 'config.json')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    // What Copilot already keeps there (another host's login, other keys) must survive.
    await writeFile(
      file,
      `${HEADER}${JSON.stringify({ authTokens: other, banner: 'never', loggedInUsers: [{ host: 'https://ghe.example.com', login: 'mona', kind: 'proxima' }] }, null, 2)}\n`,
      { mode: 0o600 },
    )
    const copilotEnv = {
      COPILOT_PKG_CACHE_HOME: COPILOT_PKG_CACHE,
      COPILOT_AUTO_UPDATE: 'false',
      COPILOT_DEBUG_GITHUB_API_URL: sb.url,
    }

    const login = await sb.authkeep(['login', '--profile', 'copilot', '--method', 'device'])
    assert.equal(login.code, 0, login.stderr)
    assert.match(login.stderr, /To sign in, open http:\/\/127\.0\.0\.1:\d+\/login\/device/)
    assert.match(login.stderr, /FAKE-0001/)
    const device = login.requests.find((r) => r.path === '/login/device/code')
    assert.ok(device, 'the device flow started at the GitHub host')
    assert.match(device.body, /client_id=Ov23ctDVkRmgkPke0Mmm/, "Copilot's own OAuth app")
    const polls = login.requests.filter((r) => r.path === '/login/oauth/access_token')
    assert.ok(
      polls.length >= 2,
      "GitHub's HTTP-200 authorization_pending was taken as pending, not as failure",
    )
    assertNoSecrets([login.stdout, login.stderr], [FAKE_GITHUB.token])

    const text = await readFile(file, 'utf8')
    assert.ok(text.startsWith(HEADER), 'the comment lines Copilot writes are kept')
    const json = parsed(text)
    assert.equal(json.authTokens[`${sb.url}:octocat`].token, FAKE_GITHUB.token)
    assert.equal(json.authTokens[`${sb.url}:octocat:github`].token, FAKE_GITHUB.token)
    assert.deepEqual(json.lastLoggedInUser, { host: sb.url, login: 'octocat' })
    assert.ok(json.loggedInUsers.some((u: { login: string }) => u.login === 'mona'))
    assert.ok(json.loggedInUsers.some((u: { login: string; kind: string }) => u.login === 'octocat'))
    assert.deepEqual(json.authTokens['https://ghe.example.com:mona'], other['https://ghe.example.com:mona'])
    assert.equal(json.banner, 'never')
    assert.equal((await stat(file)).mode & 0o777, 0o600)

    const status = await sb.authkeep(['status', '--profile', 'copilot', '--json'])
    const entry = JSON.parse(status.stdout).profiles[0]
    assert.equal(entry.state, 'valid')
    assert.equal(entry.refresh_token, false)
    assert.match(entry.detail, /never refreshes it/)
    assert.match(entry.stored_in, /config\.json \(Copilot CLI's own, plaintext\)/)
    const refresh = await sb.authkeep(['refresh', '--profile', 'copilot', '--force'])
    assert.equal(refresh.code, 0, refresh.stderr)
    assert.match(refresh.stderr, /nothing to refresh/)
    assert.equal((await sb.authkeep(['token', '--profile', 'copilot'])).stdout, `${FAKE_GITHUB.token}\n`)

    // No DBUS_SESSION_BUS_ADDRESS: the box has no keychain, as a headless Linux server.
    const copilot = await sb.run([bin, '--host', sb.url, '-p', 'hi'], copilotEnv)
    assert.doesNotMatch(copilot.stderr + copilot.stdout, /No authentication information found/)
    const authed = copilot.requests.filter((r) => r.path.startsWith('/copilot_internal/'))
    assert.ok(authed.length > 0, `copilot asked GitHub nothing:\n${copilot.stderr}`)
    assert.ok(
      authed.some((r) => r.authorization?.replace(/^bearer /i, '') === FAKE_GITHUB.token),
      'copilot sent the token authkeep stored',
    )

    const logout = await sb.authkeep(['logout', '--profile', 'copilot'])
    assert.equal(logout.code, 0, logout.stderr)
    const after = parsed(await readFile(file, 'utf8'))
    assert.equal(after.authTokens[`${sb.url}:octocat`], undefined, 'the login is gone')
    assert.deepEqual(after.authTokens['https://ghe.example.com:mona'], other['https://ghe.example.com:mona'])
    assert.equal(after.banner, 'never')
    const without = await sb.run([bin, '--host', sb.url, '-p', 'hi'], copilotEnv)
    assert.ok(
      without.requests.every((r) => r.authorization?.replace(/^bearer /i, '') !== FAKE_GITHUB.token),
      'after logout copilot no longer finds the token',
    )

    // reset: backup, clear, and a new device login, into the same file beside the other logins.
    const reset = await sb.authkeep(['reset', '--profile', 'copilot', '--method', 'device'])
    assert.equal(reset.code, 0, reset.stderr)
    const again = parsed(await readFile(file, 'utf8'))
    assert.equal(again.authTokens[`${sb.url}:octocat`].token, FAKE_GITHUB.token)
    assert.deepEqual(again.authTokens['https://ghe.example.com:mona'], other['https://ghe.example.com:mona'])
    const backups = JSON.parse((await sb.authkeep(['backups', '--profile', 'copilot', '--json'])).stdout)
    assert.ok(backups.backups.length >= 2, 'login and logout each kept a backup')
  } finally {
    await sb.cleanup()
  }
})

test('copilot: a broken, foreign-shaped or non-regular config.json is exit 3 naming the file and field, left untouched', async () => {
  const sb = await aiCliSandbox()
  try {
    await sb.configure({ copilot: copilotAt(sb.url) })
    const dir = join(sb.home, '.copilot')
    const file = join(dir, 'config.json')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const cases: Array<[string, RegExp]> = [
      [`${HEADER}{"authTokens": 5}`, /field "authTokens"/],
      [`${HEADER}{"authTokens": {"x": {"token": "gho_a"}}, "lastLogge`, /not valid JSON/],
      [`${HEADER}{"claudeAiOauth": {}, "loggedInUsers": "octocat"}`, /field "loggedInUsers"/],
    ]
    for (const [content, field] of cases) {
      await writeFile(file, content, { mode: 0o600 })
      for (const args of [['token'], ['login', '--method', 'device'], ['logout']]) {
        const r = await sb.authkeep([...args, '--profile', 'copilot'])
        assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`)
        assert.ok(r.stderr.includes(file), r.stderr)
        assert.match(r.stderr, field)
        assert.equal(await readFile(file, 'utf8'), content, 'left untouched')
      }
    }
    await rm(file)
    execFileSync('mkfifo', ['-m', '600', file])
    const r = await sb.authkeep(['token', '--profile', 'copilot'])
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /not a regular file/)
  } finally {
    await sb.cleanup()
  }
})
