// The gemini profile proven with the real Gemini CLI (@google/gemini-cli) as the client, offline: a
// paste login (PKCE, Gemini's public client secret in a form body) against the test bed's authorization
// server writes Gemini's own oauth_creds.json, and `gemini -p`, run in a loopback-only network
// namespace against a fake Code Assist API, runs on the access token authkeep hands it.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  aiCliSandbox,
  FAKE_GEMINI_REPLY,
  GEMINI_BIN,
  GEMINI_OWN_REFRESH,
  requireBin,
} from '../bed/aiClis/aiCliSandbox.js'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { AUTHORIZE_URL, assertNoSecrets, runCli, sandbox, spawnCli, waitForStderr } from './harness.js'

// Gemini CLI's own client: the test server knows it with the public secret Gemini ships.
const GEMINI_CLIENT_ID = '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com'
const GEMINI_SECRET = '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'

let server: AuthServer
before(async () => {
  server = await startAuthServer({
    clientId: GEMINI_CLIENT_ID,
    interop: { clientSecret: GEMINI_SECRET, authMethod: 'client_secret_post' },
  })
})
after(() => server?.close())

const pointedAt = (s: AuthServer) => ({
  issuer: s.issuer,
  authorization_endpoint: s.endpoints.authorization,
  token_endpoint: s.endpoints.token,
  revocation_endpoint: s.endpoints.revocation,
  scope: 'openid offline_access',
  paste_redirect_uri: 'http://127.0.0.1/callback',
})

/** The gemini profile pointed at the test server and logged in by paste: Gemini's file and what it holds. */
async function loggedIn(
  env: Record<string, string>,
): Promise<{ file: string; creds: Record<string, unknown> }> {
  await mkdir(env.AUTHKEEP_HOME as string, { recursive: true })
  await writeFile(
    join(env.AUTHKEEP_HOME as string, 'config.json'),
    JSON.stringify({ version: 1, profiles: { gemini: pointedAt(server) } }),
  )
  await pasteLogin(env)
  const file = join(env.HOME as string, '.gemini', 'oauth_creds.json')
  return { file, creds: JSON.parse(await readFile(file, 'utf8')) }
}

/** `login --method paste` for gemini, answered with the bare code, as Google's code-assist page shows it. */
async function pasteLogin(env: Record<string, string>, command = ['login']): Promise<string> {
  const child = spawnCli([...command, '--profile', 'gemini', '--method', 'paste'], env)
  const [, url] = await waitForStderr(child, AUTHORIZE_URL)
  const authorize = new URL(url as string)
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256', 'PKCE')
  assert.equal(authorize.searchParams.get('access_type'), 'offline', "Google's offline access")
  const { redirectedTo } = await approveWithHttp(url as string)
  child.stdin?.end(`${new URL(redirectedTo as string).searchParams.get('code')}\n`)
  const r = await child.output
  assert.equal(r.code, 0, r.stderr)
  return r.stderr
}

test("gemini: a paste login writes Gemini CLI's oauth_creds.json in its shape, and the real `gemini -p` runs on it", async () => {
  const bin = requireBin(GEMINI_BIN)
  const sb = await aiCliSandbox()
  try {
    await sb.configure({ gemini: pointedAt(server) })
    const dir = join(sb.home, '.gemini')
    const file = join(dir, 'oauth_creds.json')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    // A field Gemini (or a later version) keeps there must survive.
    await writeFile(
      file,
      JSON.stringify({ access_token: 'ya29.old', refresh_token: '1//old', kept: 'yes' }),
      {
        mode: 0o600,
      },
    )
    const stderr = await pasteLogin(sb.env)
    assert.match(stderr, /with the paste flow/)
    const creds = JSON.parse(await readFile(file, 'utf8'))
    assert.match(creds.access_token, /.{20,}/)
    assert.match(creds.refresh_token, /.{20,}/)
    assert.equal(typeof creds.expiry_date, 'number')
    assert.ok(creds.expiry_date > Date.now() && creds.expiry_date < Date.now() + 3_600_000, 'in milliseconds')
    assert.equal(creds.token_type, 'Bearer')
    assert.equal(creds.kept, 'yes')
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assertNoSecrets([stderr], [creds.access_token, creds.refresh_token])
    const backups = await runCli(['backups', '--profile', 'gemini'], sb.env)
    assert.match(backups.stdout, /gemini\/.*-login/, 'the replaced file was backed up')

    assert.equal((await runCli(['token', '--profile', 'gemini'], sb.env)).stdout, `${creds.access_token}\n`)
    const before = server.counts.refresh_token
    const refreshed = await runCli(['refresh', '--profile', 'gemini', '--force'], sb.env)
    assert.equal(refreshed.code, 0, refreshed.stderr)
    assert.equal(server.counts.refresh_token, before + 1, 'refreshed with the client secret in a form body')
    const now = JSON.parse(await readFile(file, 'utf8'))
    assert.notEqual(now.access_token, creds.access_token)
    assert.equal(now.kept, 'yes')

    // The real Gemini CLI, offline: token injection from `authkeep exec`, the Code Assist API a fake.
    const run = await sb.run(
      [
        process.execPath,
        join(import.meta.dirname, '../../bin/authkeep.cjs'),
        'exec',
        '--profile',
        'gemini',
        '--',
        bin,
        '-m',
        'gemini-2.5-flash',
        '-p',
        'ping',
      ],
      {
        CODE_ASSIST_ENDPOINT: sb.url,
        GEMINI_CLI_TRUST_WORKSPACE: 'true',
        GEMINI_API_KEY: 'AIzaShadowingKey',
      },
    )
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, new RegExp(FAKE_GEMINI_REPLY))
    const calls = run.requests.filter((r) => r.path.startsWith('/v1internal:'))
    assert.ok(calls.some((r) => r.path.includes('GenerateContent') || r.path.includes('generateContent')))
    for (const r of calls) assert.equal(r.authorization, `Bearer ${now.access_token}`)
    assertNoSecrets([run.stderr], [now.refresh_token])

    // Gemini on its own, reading the oauth_creds.json authkeep wrote (its OAuth hosts reach the fake).
    const runGemini = (extra: Record<string, string> = {}) =>
      sb.run([bin, '-m', 'gemini-2.5-flash', '-p', 'ping'], {
        ...sb.googleProxy,
        CODE_ASSIST_ENDPOINT: sb.url,
        GEMINI_CLI_TRUST_WORKSPACE: 'true',
        ...extra,
      })
    // Gemini's own login records the method in settings.json; after authkeep's, doctor says so and fixes it.
    await writeFile(join(dir, 'settings.json'), JSON.stringify({ ui: { theme: 'kept' } }))
    const unset = await runGemini()
    assert.equal(unset.code, 41, 'without a selected method gemini -p refuses, as doctor explains')
    const fixed = await runCli(['doctor', '--profile', 'gemini', '--fix', '--json'], sb.env)
    assert.match(JSON.parse(fixed.stdout).fixed.join('\n'), /selectedType to "oauth-personal"/, fixed.stdout)
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8')), {
      ui: { theme: 'kept' },
      security: { auth: { selectedType: 'oauth-personal' } },
    })
    // An hour's token, as Google issues (the test server's last a minute, which Gemini counts as due).
    await writeFile(file, JSON.stringify({ ...now, expiry_date: Date.now() + 3_000_000 }), { mode: 0o600 })
    const direct = await runGemini()
    assert.equal(direct.code, 0, direct.stderr)
    assert.match(direct.stdout, new RegExp(FAKE_GEMINI_REPLY))
    const assist = direct.requests.filter((r) => r.path.includes('/v1internal:'))
    assert.ok(assist.length > 0, direct.stderr)
    for (const r of assist) assert.equal(r.authorization, `Bearer ${now.access_token}`)

    // Due within Gemini's 5 minutes: Gemini refreshes by itself and rewrites the file, and authkeep
    // adopts what Gemini wrote instead of refreshing again.
    await writeFile(file, JSON.stringify({ ...now, expiry_date: Date.now() + 60_000 }), { mode: 0o600 })
    const selfRefresh = await runGemini()
    assert.equal(selfRefresh.code, 0, selfRefresh.stderr)
    const own = selfRefresh.requests.find((r) => r.path === '/token')
    assert.ok(own, 'Gemini refreshed by itself')
    // The same encoding and public secret authkeep uses, which is what makes the two interchangeable.
    assert.match(own.contentType ?? '', /application\/x-www-form-urlencoded/)
    assert.equal(new URLSearchParams(own.body).get('client_secret'), GEMINI_SECRET)
    const written = JSON.parse(await readFile(file, 'utf8'))
    assert.equal(written.access_token, GEMINI_OWN_REFRESH)
    const refreshes = server.counts.refresh_token
    const adopted = await runCli(['token', '--profile', 'gemini'], sb.env)
    assert.equal(adopted.stdout, `${GEMINI_OWN_REFRESH}\n`)
    assert.equal(server.counts.refresh_token, refreshes, 'no refresh of its own')
  } finally {
    await sb.cleanup()
  }
})

test('gemini: a malformed, truncated, foreign-shaped or non-regular oauth_creds.json is exit 3 naming the file and field, left untouched', async () => {
  const sb = await aiCliSandbox()
  try {
    await sb.configure({ gemini: pointedAt(server) })
    const dir = join(sb.home, '.gemini')
    const file = join(dir, 'oauth_creds.json')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const cases: Array<[string, RegExp]> = [
      ['{"access_token": "ya29.a", "expiry_date": "soon"}', /field "expiry_date"/],
      ['{"access_token": "ya29.a", "refresh_tok', /not valid JSON/],
      ['{"claudeAiOauth": {"accessToken": "x"}}', /field "refresh_token": missing/],
      ['[1, 2]', /field "\(top level\)"/],
    ]
    for (const [content, field] of cases) {
      await writeFile(file, content, { mode: 0o600 })
      for (const args of [['token'], ['status'], ['refresh']]) {
        const r = await runCli([...args, '--profile', 'gemini'], sb.env)
        if (args[0] === 'status') assert.match(r.stdout, field)
        else {
          assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`)
          assert.ok(r.stderr.includes(file), r.stderr)
          assert.match(r.stderr, field)
        }
        assert.equal(await readFile(file, 'utf8'), content, 'left untouched')
      }
    }
    await rm(file)
    execFileSync('mkfifo', ['-m', '600', file])
    const r = await runCli(['token', '--profile', 'gemini'], sb.env)
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /not a regular file/)
  } finally {
    await sb.cleanup()
  }
})

test('gemini: keep-alive refreshes it before Gemini would; logout revokes with the client secret and backs up; restore and reset', async () => {
  const sb = await sandbox()
  try {
    const { file, creds } = await loggedIn(sb.env)
    // Inside Gemini's 5 minutes: the daemon's one pass refreshes it.
    await writeFile(file, JSON.stringify({ ...creds, expiry_date: Date.now() + 60_000 }), { mode: 0o600 })
    // Written by Gemini an hour ago (the file's time is when its tokens were issued).
    const hourAgo = new Date(Date.now() - 3_540_000)
    await utimes(file, hourAgo, hourAgo)
    const refreshes = server.counts.refresh_token
    const once = await runCli(['keepalive', 'run', '--once'], sb.env)
    assert.equal(once.code, 0, once.stderr)
    assert.equal(server.counts.refresh_token, refreshes + 1)
    const kept = JSON.parse(await readFile(file, 'utf8'))
    assert.notEqual(kept.access_token, creds.access_token, once.stderr)
    assert.ok(kept.expiry_date > Date.now() + 30_000, 'a new expiry_date, in milliseconds')

    const revocations = server.counts.revocation
    const logout = await runCli(['logout', '--profile', 'gemini'], sb.env)
    assert.equal(logout.code, 0, logout.stderr)
    assert.equal(server.counts.revocation, revocations + 1, 'revoked, authenticated with the client secret')
    await assert.rejects(readFile(file, 'utf8'), /ENOENT/)
    const backups = JSON.parse((await runCli(['backups', '--profile', 'gemini', '--json'], sb.env)).stdout)
      .backups as Array<{ id: string; reason: string }>
    const id = backups.find((b) => b.reason === 'logout')?.id as string
    assert.ok(id, JSON.stringify(backups))
    const restored = await runCli(['restore', id], sb.env)
    assert.equal(restored.code, 0, restored.stderr)
    assert.equal(JSON.parse(await readFile(file, 'utf8')).refresh_token, kept.refresh_token)

    await pasteLogin(sb.env, ['reset'])
    const fresh = JSON.parse(await readFile(file, 'utf8'))
    assert.notEqual(fresh.refresh_token, kept.refresh_token)
    assert.equal((await runCli(['token', '--profile', 'gemini'], sb.env)).stdout, `${fresh.access_token}\n`)
  } finally {
    await sb.cleanup()
  }
})

test('gemini: 8 `token` at expiry cause one refresh; a refused refresh token marks the login, its file untouched', async () => {
  const sb = await sandbox()
  try {
    const { file, creds } = await loggedIn(sb.env)
    await writeFile(file, JSON.stringify({ ...creds, expiry_date: Date.now() - 1000 }), { mode: 0o600 })
    const before = server.counts.refresh_token
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => runCli(['token', '--profile', 'gemini'], sb.env)),
    )
    for (const r of runs) assert.equal(r.code, 0, r.stderr)
    assert.equal(server.counts.refresh_token, before + 1, 'exactly one refresh reached the server')
    const now = JSON.parse(await readFile(file, 'utf8'))
    assert.deepEqual(new Set(runs.map((r) => r.stdout)), new Set([`${now.access_token}\n`]))

    await server.revokeGrantOf(now.refresh_token)
    const expired = JSON.stringify({ ...now, expiry_date: Date.now() - 1000 })
    await writeFile(file, expired, { mode: 0o600 })
    const refused = await runCli(['token', '--profile', 'gemini'], sb.env)
    assert.equal(refused.code, 4, refused.stderr)
    assert.match(refused.stderr, /run: authkeep login --profile gemini\n$/)
    assert.equal(
      await readFile(file, 'utf8'),
      expired,
      "Gemini's file is kept as it was, for a backup to show",
    )
    const status = JSON.parse((await runCli(['status', '--profile', 'gemini', '--json'], sb.env)).stdout)
    assert.equal(status.profiles[0].state, 'login_required')
    const doctor = JSON.parse((await runCli(['doctor', '--profile', 'gemini', '--json'], sb.env)).stdout)
    const marked = doctor.findings.find((f: { id: string }) => f.id === 'login.marked')
    assert.equal(marked?.fix, 'authkeep reset --profile gemini', JSON.stringify(doctor.findings))
  } finally {
    await sb.cleanup()
  }
})
