import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, type TestContext, test } from 'node:test'
import {
  accessTokenJwt,
  codexAuthJson,
  FAKE_CLIENT_ID,
  type FakeOpenAi,
  type RecordedRequest,
  startFakeOpenAi,
  writeCodexConfig,
} from '../bed/codex/fakeOpenAi.js'
import { freePort, runCli, type Sandbox, sandbox, spawnCli, waitForStderr } from './harness.js'

// The codex built-in profile against a local stand-in for OpenAI's sign-in server, without the Codex
// binary (realCodex.test.ts runs that): login flows, Codex's file shape, bad files, doctor and exec.
let fake: FakeOpenAi
let bed: Sandbox
let dir: string
let log: string
let behaviour: string
before(async () => {
  bed = await sandbox()
  dir = bed.dir
  log = join(dir, 'fake.jsonl')
  behaviour = join(dir, 'behaviour.json')
  await writeFile(log, '')
  fake = await startFakeOpenAi({ logFile: log, behaviourFile: behaviour })
})
after(async () => {
  await fake?.close()
  await bed?.cleanup()
})

const requests = async (): Promise<RecordedRequest[]> =>
  (await readFile(log, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RecordedRequest)

interface CodexBox extends Sandbox {
  codexHome: string
  authFile: string
  writeAuth(json: unknown, mode?: number): Promise<void>
}

async function codexBox(t: TestContext): Promise<CodexBox> {
  const sb = await sandbox(t)
  const codexHome = join(sb.dir, 'home', '.codex')
  sb.env.CODEX_HOME = codexHome
  const url = fake.url
  await writeCodexConfig(sb.env.AUTHKEEP_HOME as string, url)
  const authFile = join(codexHome, 'auth.json')
  return Object.assign(sb, {
    codexHome,
    authFile,
    async writeAuth(json: unknown, mode = 0o600) {
      await mkdir(codexHome, { recursive: true, mode: 0o700 })
      await writeFile(authFile, typeof json === 'string' ? json : JSON.stringify(json, null, 2), { mode })
    },
  })
}

async function deviceLogin(env: Record<string, string>) {
  const child = spawnCli(['login', '--profile', 'codex', '--method', 'device'], env)
  child.stdin?.end()
  const [, code] = await waitForStderr(child, /enter the code: (\S+)/)
  const approved = await fetch(`${fake.url}/codex/device?user_code=${code}`)
  assert.equal(approved.status, 200)
  return child.output
}

const hour = () => Math.floor(Date.now() / 1000) + 3600

test('device login writes Codex auth.json in its exact shape, 0600, keeping fields it does not know', async (t) => {
  const sb = await codexBox(t)
  await sb.writeAuth({
    ...codexAuthJson({ accessToken: accessTokenJwt(hour()), refreshToken: 'rt-x' }),
    extra_field: { kept: true },
  })
  const r = await deviceLogin(sb.env)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, new RegExp(`open ${fake.url}/codex/device`))
  const auth = JSON.parse(await readFile(sb.authFile, 'utf8'))
  assert.equal(auth.auth_mode, 'chatgpt')
  assert.equal(auth.OPENAI_API_KEY, null)
  assert.deepEqual(auth.extra_field, { kept: true })
  assert.equal(auth.tokens.account_id, 'acct-fake-0001')
  assert.match(auth.tokens.refresh_token, /^rt-/)
  assert.notEqual(auth.tokens.refresh_token, 'rt-x')
  assert.ok(Date.parse(auth.last_refresh) > Date.now() - 60_000)
  assert.equal((await stat(sb.authFile)).mode & 0o777, 0o600)
  // The exchange was a form post with the device callback redirect, as Codex does it.
  const exchange = (await requests()).filter((q) => q.grantType === 'authorization_code').at(-1)
  assert.match(exchange?.contentType ?? '', /x-www-form-urlencoded/)
  // A backup of what was replaced.
  const backups = await readdir(join(sb.env.AUTHKEEP_HOME as string, 'state', 'backups', 'codex'))
  assert.ok(
    backups.some((b) => b.endsWith('-login.json')),
    backups.join(','),
  )
  const status = await runCli(['status', '--profile', 'codex', '--json'], sb.env)
  assert.equal(status.code, 0, status.stderr)
  assert.equal(JSON.parse(status.stdout).profiles[0].state, 'valid')
})

test('device login turned off: the message says where to turn it on, and nothing is written', async (t) => {
  const sb = await codexBox(t)
  try {
    await writeFile(behaviour, JSON.stringify({ deviceAuth: 'off' }))
    const r = await runCli(['login', '--profile', 'codex', '--method', 'device'], sb.env)
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /device code login is not enabled/)
    assert.match(r.stderr, /Settings → Security/)
    assert.match(r.stderr, /run: authkeep login --profile codex --method paste/)
    await assert.rejects(stat(sb.authFile))
  } finally {
    await writeFile(behaviour, '{}')
  }
})

test('device login with the server down: exit 6 naming the endpoint, nothing written', async (t) => {
  const sb = await codexBox(t)
  try {
    await writeFile(behaviour, JSON.stringify({ deviceAuth: 'down' }))
    const r = await runCli(['login', '--profile', 'codex', '--method', 'device'], sb.env)
    assert.equal(r.code, 6, r.stderr)
    assert.match(
      r.stderr,
      /\/api\/accounts\/deviceauth\/usercode answered HTTP 503; run: authkeep login --profile codex\n$/,
    )
    await assert.rejects(stat(sb.authFile))
  } finally {
    await writeFile(behaviour, '{}')
  }
})

test('paste login: the localhost:1455 redirect URL with PKCE and state, pasted back whole', async (t) => {
  const sb = await codexBox(t)
  const child = spawnCli(['login', '--profile', 'codex', '--method', 'paste'], sb.env)
  const [, url] = await waitForStderr(child, /^ {2}(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m)
  const authorize = new URL(url as string)
  const q = authorize.searchParams
  assert.equal(q.get('redirect_uri'), 'http://localhost:1455/auth/callback')
  assert.equal(q.get('code_challenge_method'), 'S256')
  assert.equal(q.get('originator'), 'codex_cli_rs')
  assert.equal(q.get('codex_cli_simplified_flow'), 'true')
  assert.ok(q.get('state'))
  const res = await fetch(authorize, { redirect: 'manual' })
  const location = res.headers.get('location') as string
  assert.match(location, /^http:\/\/localhost:1455\/auth\/callback\?code=/)
  child.stdin?.end(`${location}\n`)
  const r = await child.output
  assert.equal(r.code, 0, r.stderr)
  const auth = JSON.parse(await readFile(sb.authFile, 'utf8'))
  assert.match(auth.tokens.refresh_token, /^rt-/)
  // The address of another login (another state) is refused, and the file stays as it is.
  const other = spawnCli(['login', '--profile', 'codex', '--method', 'paste'], sb.env)
  await waitForStderr(other, /Paste the URL or code/)
  other.stdin?.end(`${location.replace(/state=[^&]+/, 'state=someone-else')}\n`)
  const refused = await other.output
  assert.notEqual(refused.code, 0)
  assert.match(refused.stderr, /possible CSRF/)
  assert.deepEqual(JSON.parse(await readFile(sb.authFile, 'utf8')), auth)
})

test('loopback login listens on the registered path, and over SSH prints the exact ssh -L line', async (t) => {
  const sb = await codexBox(t)
  const port = await freePort()
  const env = { ...sb.env, SSH_CONNECTION: '10.0.0.9 50000 10.0.0.1 22', USER: 'dev' }
  const child = spawnCli(['login', '--profile', 'codex', '--method', 'loopback', '--port', String(port)], env)
  child.stdin?.end()
  const [, url] = await waitForStderr(child, /^ {2}(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m)
  await waitForStderr(child, new RegExp(`ssh -L ${port}:127\\.0\\.0\\.1:${port} `))
  assert.equal(
    new URL(url as string).searchParams.get('redirect_uri'),
    `http://localhost:${port}/auth/callback`,
  )
  const res = await fetch(url as string, { redirect: 'manual' })
  const back = new URL(res.headers.get('location') as string)
  back.hostname = '127.0.0.1'
  assert.equal((await fetch(back)).status, 200)
  const r = await child.output
  assert.equal(r.code, 0, r.stderr)
  assert.match(JSON.parse(await readFile(sb.authFile, 'utf8')).tokens.refresh_token, /^rt-/)
})

test('refresh: a JSON body with client_id, grant_type and refresh_token; every field of the file kept', async (t) => {
  const sb = await codexBox(t)
  try {
    await writeFile(behaviour, JSON.stringify({ acceptRefreshTokens: ['rt-json'] }))
    const original = {
      ...codexAuthJson({ accessToken: accessTokenJwt(hour()), refreshToken: 'rt-json' }),
      agent: 'kept',
    }
    await sb.writeAuth(original)
    const r = await runCli(['refresh', '--profile', 'codex', '--force'], sb.env)
    assert.equal(r.code, 0, r.stderr)
    const sent = (await requests()).filter((q) => q.refreshToken === 'rt-json')
    assert.equal(sent.length, 1)
    assert.equal(sent[0]?.contentType, 'application/json')
    assert.equal(sent[0]?.clientId, 'app_EMoamEEZ73f0CkXaXp7hrann')
    const auth = JSON.parse(await readFile(sb.authFile, 'utf8'))
    assert.equal(auth.agent, 'kept')
    assert.equal(auth.tokens.access_token, sent[0]?.issuedAccessToken)
    assert.equal(auth.tokens.account_id, 'acct-fake-0001')
    assert.ok(auth.last_refresh > original.last_refresh)
    // The spent token, presented again by a stale copy, is refused as Codex's server does: a new login is needed.
    await sb.writeAuth(original)
    const again = await runCli(['refresh', '--profile', 'codex', '--force'], sb.env)
    assert.equal(again.code, 4, again.stderr)
    assert.match(again.stderr, /refresh_token_reused/)
  } finally {
    await writeFile(behaviour, '{}')
  }
})

test('a malformed, truncated, foreign or non-regular auth.json is exit 3 naming file and field, left untouched', async (t) => {
  const sb = await codexBox(t)
  const good = JSON.stringify(codexAuthJson({ accessToken: accessTokenJwt(hour()), refreshToken: 'rt-bad' }))
  const cases: Array<[string, string, RegExp]> = [
    ['malformed', '{"tokens": nope}', /not valid JSON/],
    ['truncated', good.slice(0, 80), /not valid JSON/],
    ['foreign', JSON.stringify({ claudeAiOauth: { accessToken: 'x' } }), /field "tokens": missing/],
    [
      'wrong type',
      JSON.stringify({ auth_mode: 'chatgpt', tokens: { access_token: 5 } }),
      /field "tokens\.access_token"/,
    ],
    [
      'api key only',
      JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test-0000' }),
      /API key login/,
    ],
  ]
  for (const [name, content, why] of cases) {
    await sb.writeAuth(content)
    for (const command of [['token'], ['refresh', '--force'], ['status']]) {
      const r = await runCli([...command, '--profile', 'codex'], sb.env)
      assert.equal(r.code, 3, `${name} ${command}: ${r.stderr}`)
      const text = r.stderr + r.stdout
      assert.ok(text.includes(sb.authFile), `${name}: names the file: ${text}`)
      assert.match(text, why, name)
    }
    assert.equal(await readFile(sb.authFile, 'utf8'), content, `${name}: untouched`)
  }
  await sb.writeAuth('{}')
  await execFileSync('rm', [sb.authFile])
  execFileSync('mkfifo', ['-m', '600', sb.authFile])
  const fifo = await runCli(['token', '--profile', 'codex'], sb.env)
  assert.equal(fifo.code, 3, fifo.stderr)
  assert.match(fifo.stderr, /FIFO/)
  assert.ok((await stat(sb.authFile)).isFIFO())
})

test('doctor names Codex failures with their fixes: API keys that outrank the login, expiry, a copied file', async (t) => {
  const sb = await codexBox(t)
  await sb.writeAuth(
    codexAuthJson({
      accessToken: accessTokenJwt(Math.floor(Date.now() / 1000) + 60),
      refreshToken: 'rt-doc',
    }),
  )
  await writeFile(
    join(sb.codexHome, '.authkeep-state.json'),
    JSON.stringify({
      host: 'laptop#000000000000',
      refresh_token_sha256: (await import('../../src/stores/claudeCodeStore.js')).fingerprint('rt-doc'),
    }),
  )
  const env = {
    ...sb.env,
    CODEX_API_KEY: 'sk-proj-doctor-0000000000000000',
    OPENAI_API_KEY: 'sk-openai-0000000000000',
  }
  const r = await runCli(['doctor', '--profile', 'codex', '--json'], env)
  const findings = JSON.parse(r.stdout).findings as Array<{ id: string; fix: string; found: string }>
  const by = (id: string) => findings.find((f) => f.id === id)
  assert.equal(by('env.codex_api_key')?.fix, 'unset CODEX_API_KEY')
  assert.equal(by('env.openai_api_key')?.fix, 'unset OPENAI_API_KEY')
  assert.equal(by('codex.expired')?.fix, 'authkeep refresh --profile codex --force')
  assert.match(by('host.mismatch')?.found ?? '', /laptop#000000000000/)
  assert.equal(by('host.mismatch')?.fix, 'authkeep reset --profile codex')
  assert.ok(!r.stdout.includes('sk-proj-doctor-0000000000000000'))
  await sb.writeAuth({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test-0000' })
  const apikey = JSON.parse((await runCli(['doctor', '--profile', 'codex', '--json'], sb.env)).stdout)
  assert.equal(
    apikey.findings.find((f: { id: string }) => f.id === 'codex.login')?.fix,
    'authkeep login --profile codex',
  )
})

test('exec: API keys that would outrank the login are cleared; a stored key goes in CODEX_API_KEY', async (t) => {
  const sb = await codexBox(t)
  await sb.writeAuth(codexAuthJson({ accessToken: accessTokenJwt(hour()), refreshToken: 'rt-exec' }))
  const env = { ...sb.env, CODEX_API_KEY: 'sk-outranks-000000', OPENAI_API_KEY: 'sk-outranks-111111' }
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
  const show = ['sh', '-c', 'echo "C=${CODEX_API_KEY:-unset} O=${OPENAI_API_KEY:-unset}"']
  const r = await runCli(['exec', '--profile', 'codex', '--', ...show], env)
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout.trim(), 'C=unset O=unset')
  const key = await runCli(['key', 'set', '--profile', 'codex'], sb.env, 'sk-proj-stored-key-0000\n')
  assert.equal(key.code, 0, key.stderr)
  const k = await runCli(['exec', '--profile', 'codex', '--', ...show], sb.env)
  assert.equal(k.code, 0, k.stderr)
  assert.equal(k.stdout.trim(), 'C=sk-proj-stored-key-0000 O=unset')
})

/** Plays a Codex run by `authkeep exec`: refreshes at CODEX_REFRESH_TOKEN_URL_OVERRIDE, printing each answer. */
const ASKER = `
const url = process.env.CODEX_REFRESH_TOKEN_URL_OVERRIDE
const [tokens, askers] = JSON.parse(process.argv[1])
const ask = (body, to = url) =>
  fetch(to, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
    .then(async (r) => ({ status: r.status, body: await r.json() }))
const refresh = (refresh_token) => ask({ client_id: '${FAKE_CLIENT_ID}', grant_type: 'refresh_token', refresh_reason: 'proactive_expiry', refresh_token })
const out = { url, together: [], after: [] }
out.together = await Promise.all(Array.from({ length: askers }, () => refresh(tokens[0])))
for (const t of tokens.slice(1)) out.after.push(await refresh(t === 'CURRENT' ? out.after.at(-1).body.refresh_token : t))
out.strangers = [
  (await fetch(new URL('/oauth/token', url), { method: 'POST', body: '{}' })).status,
  (await ask('not json')).status,
  (await ask({ grant_type: 'authorization_code', code: 'x' })).status,
  (await ask({ client_id: 'someone-else', grant_type: 'refresh_token', refresh_token: tokens[0] })).status,
]
console.log(JSON.stringify(out))
`
const asker = (tokens: string[], askers: number) => [
  process.execPath,
  '--input-type=module',
  '-e',
  ASKER,
  JSON.stringify([tokens, askers]),
]

test('exec runs Codex with its refreshes asked of authkeep: four asking at once cause one refresh; a spent token gets the stored login', async (t) => {
  const sb = await codexBox(t)
  await sb.writeAuth(
    codexAuthJson({
      accessToken: accessTokenJwt(Math.floor(Date.now() / 1000) + 60),
      refreshToken: 'rt-relay',
    }),
  )
  await writeFile(behaviour, JSON.stringify({ acceptRefreshTokens: ['rt-relay'] }))
  const env = { ...sb.env, CODEX_REFRESH_TOKEN_URL_OVERRIDE: `${fake.url}/oauth/token` }
  const since = Date.now()
  // Four ask with the due token at once; then one with that token again (spent by now); then one with
  // the token just handed out, as Codex does when the server refuses its access token: a new refresh.
  const r = await runCli(
    ['exec', '--profile', 'codex', '--', ...asker(['rt-relay', 'rt-relay', 'CURRENT'], 4)],
    env,
  )
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /CODEX_REFRESH_TOKEN_URL_OVERRIDE is replaced for the command/)
  const out = JSON.parse(r.stdout)
  assert.match(out.url, /^http:\/\/127\.0\.0\.1:\d+\/[\w-]{24}\/oauth\/token$/)
  const refreshes = (await requests()).filter((q) => q.at >= since && q.path === '/oauth/token')
  assert.deepEqual(
    refreshes.map((q) => [q.status, q.refreshToken]),
    [
      [200, 'rt-relay'],
      [200, out.together[0].body.refresh_token],
    ],
  )
  const first = { ...out.together[0].body }
  assert.equal(first.access_token, refreshes[0]?.issuedAccessToken)
  for (const answer of [...out.together, out.after[0]]) assert.deepEqual(answer, { status: 200, body: first })
  const stored = JSON.parse(await readFile(sb.authFile, 'utf8')).tokens
  assert.deepEqual(out.after[1], {
    status: 200,
    body: {
      id_token: stored.id_token,
      access_token: stored.access_token,
      refresh_token: stored.refresh_token,
    },
  })
  assert.equal(stored.access_token, refreshes[1]?.issuedAccessToken)
  assert.deepEqual(out.strangers, [404, 400, 400, 401])
  assert.ok(!r.stderr.includes(stored.refresh_token) && !r.stderr.includes(first.refresh_token))
  // Gone with the command: nothing listens on its address any more.
  await assert.rejects(fetch(out.url, { method: 'POST', body: '{}' }))

  // A login the server no longer takes: Codex is told in its own terms, the person how to log in.
  await sb.writeAuth(
    codexAuthJson({
      accessToken: accessTokenJwt(Math.floor(Date.now() / 1000) + 60),
      refreshToken: 'rt-gone',
    }),
  )
  const gone = await runCli(['exec', '--profile', 'codex', '--', ...asker(['rt-gone'], 1)], sb.env)
  assert.equal(gone.code, 0, gone.stderr)
  const refused = JSON.parse(gone.stdout).together[0]
  assert.equal(refused.status, 401)
  assert.equal(refused.body.error.code, 'refresh_token_invalidated')
  assert.match(
    gone.stderr,
    /Codex asked for a refresh of profile "codex": .*; run: authkeep login --profile codex\n/,
  )
})

test('logout keeps an API key Codex was given and removes the login; backups and reset work for codex', async (t) => {
  const sb = await codexBox(t)
  await sb.writeAuth({
    ...codexAuthJson({ accessToken: accessTokenJwt(hour()), refreshToken: 'rt-out' }),
    OPENAI_API_KEY: 'sk-kept-0000',
  })
  const r = await runCli(['logout', '--profile', 'codex'], sb.env)
  assert.equal(r.code, 0, r.stderr)
  const left = JSON.parse(await readFile(sb.authFile, 'utf8'))
  assert.equal(left.tokens, undefined)
  assert.equal(left.OPENAI_API_KEY, 'sk-kept-0000')
  assert.equal(left.auth_mode, 'apikey')
  const list = await runCli(['backups', '--profile', 'codex'], sb.env)
  assert.equal(list.code, 0, list.stderr)
  assert.match(list.stdout, /codex\/\S+-logout/)
  // reset: backup, clear, and a new sign-in (here OpenAI's device login) into the same file.
  const reset = spawnCli(['reset', '--profile', 'codex', '--method', 'device'], sb.env)
  reset.stdin?.end()
  const [, code] = await waitForStderr(reset, /enter the code: (\S+)/)
  assert.equal((await fetch(`${fake.url}/codex/device?user_code=${code}`)).status, 200)
  const done = await reset.output
  assert.equal(done.code, 0, done.stderr)
  const after = JSON.parse(await readFile(sb.authFile, 'utf8'))
  assert.match(after.tokens.refresh_token, /^rt-/)
  assert.equal(after.OPENAI_API_KEY, 'sk-kept-0000', 'the API key Codex was given is still there')
  assert.match((await runCli(['backups', '--profile', 'codex'], sb.env)).stdout, /codex\/\S+-reset/)
})

test('login --receive stores a hand-off for codex in auth.json, in Codex shape, after a backup', async (t) => {
  const sb = await codexBox(t)
  await sb.writeAuth({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-before-0000' })
  const sent = codexAuthJson({ accessToken: accessTokenJwt(hour()), refreshToken: 'rt-handed' })
  const r = await runCli(['login', '--receive', '--profile', 'codex'], sb.env, `-\n${JSON.stringify(sent)}\n`)
  assert.equal(r.code, 0, r.stderr)
  const auth = JSON.parse(await readFile(sb.authFile, 'utf8'))
  assert.equal(auth.tokens.refresh_token, 'rt-handed')
  assert.equal(auth.tokens.access_token, sent.tokens.access_token)
  assert.equal(auth.auth_mode, 'chatgpt')
  const backups = await readdir(join(sb.env.AUTHKEEP_HOME as string, 'state', 'backups', 'codex'))
  const replaced = backups.find((b) => b.endsWith('-login.json')) as string
  const backup = JSON.parse(
    await readFile(join(sb.env.AUTHKEEP_HOME as string, 'state', 'backups', 'codex', replaced), 'utf8'),
  )
  assert.match(backup.content, /sk-before-0000/)
  const bad = await runCli(['login', '--receive', '--profile', 'codex'], sb.env, '-\n{"claudeAiOauth":{}}\n')
  assert.equal(bad.code, 2, bad.stderr)
  assert.match(bad.stderr, /not Codex's auth.json shape/)
})

test('status lists the built-in codex profile when Codex has an auth.json here, without any config', async (t) => {
  const sb = await sandbox(t)
  const before = JSON.parse((await runCli(['status', '--json'], sb.env)).stdout)
  assert.deepEqual(
    before.profiles.map((p: { profile: string }) => p.profile),
    ['claude-code'],
  )
  await mkdir(join(sb.dir, 'home', '.codex'), { recursive: true, mode: 0o700 })
  await writeFile(
    join(sb.dir, 'home', '.codex', 'auth.json'),
    JSON.stringify(codexAuthJson({ accessToken: accessTokenJwt(hour()), refreshToken: 'rt-status' })),
    { mode: 0o600 },
  )
  const r = await runCli(['status', '--json'], sb.env)
  const codex = JSON.parse(r.stdout).profiles.find((p: { profile: string }) => p.profile === 'codex')
  assert.equal(codex?.state, 'valid', r.stdout)
  assert.match(codex?.stored_in ?? '', /\.codex\/auth\.json \(Codex's own\)/)
})

test('a refresh Codex made and waits to write (it holds auth.lock) is taken, and authkeep sends none', async (t) => {
  const sb = await codexBox(t)
  try {
    await writeFile(behaviour, JSON.stringify({ acceptRefreshTokens: ['rt-peer-old'] }))
    const anHourAgo = new Date(Date.now() - 3_600_000).toISOString()
    const soon = Math.floor(Date.now() / 1000) + 120
    await sb.writeAuth(
      codexAuthJson({
        accessToken: accessTokenJwt(soon),
        refreshToken: 'rt-peer-old',
        lastRefresh: anHourAgo,
      }),
    )
    const since = Date.now()
    // Codex, its refresh answered, holding auth.lock while it waits for auth.json.lock to write.
    const codex = spawn('flock', ['--exclusive', join(sb.codexHome, 'auth.lock'), 'cat'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    try {
      const token = spawnCli(['token', '--profile', 'codex'], sb.env)
      token.stdin?.end()
      await new Promise((r) => setTimeout(r, 1_000))
      // Codex's write, then its locks go.
      const byCodex = codexAuthJson({ accessToken: accessTokenJwt(soon + 3600), refreshToken: 'rt-peer-new' })
      await sb.writeAuth(byCodex)
      codex.stdin?.end()
      const r = await token.output
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout.trim(), byCodex.tokens.access_token)
      const refreshes = (await requests()).filter((q) => q.at >= since && q.path === '/oauth/token')
      assert.deepEqual(refreshes, [], 'exactly one refresh in all: the one Codex made')
    } finally {
      codex.kill()
    }
  } finally {
    await writeFile(behaviour, '{}')
  }
})
