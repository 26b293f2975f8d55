// Several accounts of one CLI (issue 12) against the oidc-provider test server: each account its own
// grant, switches that keep the outgoing account's latest tokens, directory bindings, keep-alive of
// inactive accounts, and the refusals of bad input. Real Claude Code is in accountsClaude.test.ts.
import assert from 'node:assert/strict'
import { access, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import {
  assertNoSecrets,
  BIN,
  CLAUDE_TEST_SCOPES,
  claudeCredentialsFile,
  claudeSandbox,
  pasteLoginClaude,
  type Result,
  runCli,
  spawnCli,
} from './harness.js'

let server: AuthServer
before(async () => {
  server = await startAuthServer({ jsonTokenRequests: true, scopes: CLAUDE_TEST_SCOPES })
})
after(() => server?.close())

type Sb = Awaited<ReturnType<typeof claudeSandbox>>
const slotFile = (sb: Sb, account: string) => sb.recordFile(`claude-code@${account}`)
const readSlot = async (sb: Sb, account: string) =>
  JSON.parse(await readFile(slotFile(sb, account), 'utf8')) as { access_token: string; refresh_token: string }
const claudeOauth = async (sb: Sb) => JSON.parse(await readFile(sb.credentials, 'utf8'))
const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  )

/** authkeep run in `dir`, as a person in that project directory would. */
function runIn(dir: string, args: string[], env: Record<string, string>): Promise<Result> {
  const child = spawnCli(args, env, 60_000, [
    '/bin/sh',
    '-c',
    'cd "$0" && exec "$@"',
    dir,
    process.execPath,
    BIN,
  ])
  child.stdin?.end()
  return child.output
}

async function twoAccounts(): Promise<Sb> {
  const sb = await claudeSandbox(server)
  // The test server revokes and tells who signed in, as a provider's userinfo-like endpoint does.
  const configFile = join(sb.env.AUTHKEEP_HOME as string, 'config.json')
  const config = JSON.parse(await readFile(configFile, 'utf8'))
  Object.assign(config.profiles['claude-code'], {
    revocation_endpoint: server.endpoints.revocation,
    userinfo_endpoint: server.endpoints.userinfo,
  })
  await writeFile(configFile, JSON.stringify(config))
  await sb.writeCredentials(
    claudeCredentialsFile(
      { accessToken: '', refreshToken: '', expiresAt: 0, rateLimitTier: 'default_claude_pro' },
      { mcpOAuth: { srv: { token: 'kept' } }, organizationUuid: 'org-kept' },
    ),
  )
  await pasteLoginClaude(sb.env, ['account', 'add', 'personal'])
  await pasteLoginClaude(sb.env, ['account', 'add', 'work'])
  return sb
}

test('account add logs two grants into slots; switch moves the latest tokens both ways, keeping every other field', async (t) => {
  const sb = await twoAccounts()
  t.after(() => sb.cleanup())
  const listed = await runCli(['account', 'list', '--json'], sb.env)
  assert.equal(listed.code, 0, listed.stderr)
  const rows = JSON.parse(listed.stdout).accounts
  assert.deepEqual(
    rows.map((r: { account: string; active: boolean; state: string }) => [r.account, r.active, r.state]),
    [
      ['personal', false, 'valid'],
      ['work', false, 'valid'],
    ],
  )
  assert.ok(
    rows.every((r: { identity: { subject?: string } }) => typeof r.identity.subject === 'string'),
    'who each account is, from the userinfo endpoint',
  )
  const personal = await readSlot(sb, 'personal')
  const work = await readSlot(sb, 'work')
  assert.notEqual(personal.refresh_token, work.refresh_token, 'two grants, not one')
  assertNoSecrets([listed.stdout, listed.stderr], [personal.access_token, work.refresh_token])

  const s1 = await runCli(['switch', 'personal'], sb.env)
  assert.equal(s1.code, 0, s1.stderr)
  let file = await claudeOauth(sb)
  assert.equal(file.claudeAiOauth.refreshToken, personal.refresh_token)
  assert.equal(
    await exists(slotFile(sb, 'personal')),
    false,
    'the active grant has one copy: in the CLI file',
  )
  // The CLI refreshes the active account in its own file, as Claude Code would.
  assert.equal((await runCli(['refresh', '--force'], sb.env)).code, 0)
  const rotated = (await claudeOauth(sb)).claudeAiOauth.refreshToken
  assert.notEqual(rotated, personal.refresh_token)

  const s2 = await runCli(['switch', 'work'], sb.env)
  assert.equal(s2.code, 0, s2.stderr)
  file = await claudeOauth(sb)
  assert.equal(file.claudeAiOauth.refreshToken, work.refresh_token)
  assert.equal(
    (await readSlot(sb, 'personal')).refresh_token,
    rotated,
    'the latest tokens were saved, not the ones switched in',
  )
  assert.deepEqual(file.mcpOAuth, { srv: { token: 'kept' } })
  assert.equal(file.organizationUuid, 'org-kept')
  assert.equal(file.claudeAiOauth.rateLimitTier, 'default_claude_pro')

  // Both grants still work: each refreshes once switched in (a spent copy would be refused).
  for (const name of ['personal', 'work', 'personal']) {
    assert.equal((await runCli(['switch', name], sb.env)).code, 0)
    const r = await runCli(['refresh', '--force'], sb.env)
    assert.equal(r.code, 0, `${name}: ${r.stderr}`)
  }
  // The login's own fields travel with it: what Claude noted for this account comes back with it.
  const noted = async (subscriptionType: string) => {
    const now = await claudeOauth(sb)
    now.claudeAiOauth.subscriptionType = subscriptionType
    await sb.writeCredentials(now)
  }
  await noted('max')
  assert.equal((await runCli(['switch', 'work'], sb.env)).code, 0)
  await noted('team')
  for (const [name, subscription] of [
    ['personal', 'max'],
    ['work', 'team'],
    ['personal', 'max'],
  ]) {
    assert.equal((await runCli(['switch', name as string], sb.env)).code, 0)
    assert.equal((await claudeOauth(sb)).claudeAiOauth.subscriptionType, subscription)
  }
  const active = JSON.parse((await runCli(['account', 'list', '--json'], sb.env)).stdout).accounts
  assert.deepEqual(
    active.map((r: { active: boolean }) => r.active),
    [true, false],
  )
  const text = await runCli(['account', 'list'], sb.env)
  assert.match(text.stdout, /^\* personal {2}subject \S+ {2}valid\n {2}work {2}subject \S+ {2}valid\n$/)
})

test('bad input: an unknown account lists the known ones (2); a dead login says how to log in again (4) and changes nothing', async (t) => {
  const sb = await twoAccounts()
  t.after(() => sb.cleanup())
  assert.equal((await runCli(['switch', 'personal'], sb.env)).code, 0)
  const unknown = await runCli(['switch', 'wrok'], sb.env)
  assert.equal(unknown.code, 2)
  assert.equal(
    unknown.stderr,
    'authkeep: profile "claude-code" has no account "wrok" (known: personal, work); run: authkeep account add wrok --profile claude-code\n',
  )
  // The work grant is revoked at the server and its access token has run out.
  const work = await readSlot(sb, 'work')
  await server.revokeGrantOf(work.refresh_token)
  const record = JSON.parse(await readFile(slotFile(sb, 'work'), 'utf8'))
  await writeFile(
    slotFile(sb, 'work'),
    JSON.stringify({ ...record, expires_at: '2020-01-01T00:00:00.000Z' }),
    { mode: 0o600 },
  )
  const before = await readFile(sb.credentials, 'utf8')
  const dead = await runCli(['switch', 'work'], sb.env)
  assert.equal(dead.code, 4, dead.stderr)
  assert.match(
    dead.stderr,
    /account "work" of profile "claude-code" is dead .*"personal" stays active; run: authkeep account add work --profile claude-code\n$/,
  )
  assert.equal(dead.stderr.split('\n').length, 2, 'one line')
  assert.equal(await readFile(sb.credentials, 'utf8'), before, "the CLI's file is untouched")
  const list = JSON.parse((await runCli(['account', 'list', '--json'], sb.env)).stdout).accounts
  assert.deepEqual(
    list.map((r: { account: string; active: boolean; state: string }) => [r.account, r.active, r.state]),
    [
      ['personal', true, 'valid'],
      ['work', false, 'login_required'],
    ],
  )
})

test('a directory bound to an account: exec and the helper use it there, the active one elsewhere; status says why', async (t) => {
  const sb = await twoAccounts()
  t.after(() => sb.cleanup())
  assert.equal((await runCli(['switch', 'personal'], sb.env)).code, 0)
  const project = join(sb.dir, 'project')
  const nested = join(project, 'src', 'deep')
  await mkdir(nested, { recursive: true })
  await writeFile(join(project, '.authkeep-account'), '# this client pays for this one\nwork\n')
  const work = await readSlot(sb, 'work')
  const personal = (await claudeOauth(sb)).claudeAiOauth.accessToken
  const printToken = [
    'exec',
    '--',
    process.execPath,
    '-e',
    'process.stdout.write(process.env.CLAUDE_CODE_OAUTH_TOKEN)',
  ]

  const inside = await runIn(nested, printToken, sb.env)
  assert.equal(inside.code, 0, inside.stderr)
  assert.equal(inside.stdout, work.access_token)
  assert.match(inside.stderr, /account "work" \(bound by .*project\/\.authkeep-account\)/)
  const outside = await runIn(sb.dir, printToken, sb.env)
  assert.equal(outside.stdout, personal)
  const helper = await runIn(nested, ['claude', 'helper'], sb.env)
  assert.equal(helper.stdout, `${work.access_token}\n`)
  assert.equal((await claudeOauth(sb)).claudeAiOauth.accessToken, personal, 'nothing switched machine-wide')

  const here = JSON.parse((await runIn(nested, ['status', '--json'], sb.env)).stdout).profiles[0].account
  assert.deepEqual(here, { name: 'work', why: 'bound', file: join(project, '.authkeep-account') })
  const there = JSON.parse((await runIn(sb.dir, ['status', '--json'], sb.env)).stdout).profiles[0].account
  assert.deepEqual(there, { name: 'personal', why: 'active', file: null })
  assert.match(
    (await runIn(nested, ['status'], sb.env)).stdout,
    /claude-code: account "work" applies here, bound by /,
  )

  await writeFile(join(project, '.authkeep-account'), 'claude-code=client-x\n')
  const missing = await runIn(nested, printToken, sb.env)
  assert.equal(missing.code, 3)
  assert.equal(
    missing.stderr,
    `authkeep: ${join(project, '.authkeep-account')}: names account "client-x", which profile "claude-code" does not have (known: personal, work); run: authkeep account add client-x --profile claude-code\n`,
  )
})

test('keep-alive refreshes the inactive accounts too; account remove backs up and revokes', async (t) => {
  const sb = await twoAccounts()
  t.after(() => sb.cleanup())
  assert.equal((await runCli(['switch', 'personal'], sb.env)).code, 0)
  const work = await readSlot(sb, 'work')
  const record = JSON.parse(await readFile(slotFile(sb, 'work'), 'utf8'))
  await writeFile(
    slotFile(sb, 'work'),
    JSON.stringify({
      ...record,
      obtained_at: new Date(Date.now() - 3_600_000).toISOString(),
      expires_at: new Date(Date.now() + 60_000).toISOString(),
    }),
    { mode: 0o600 },
  )
  const once = await runCli(['keepalive', 'run', '--once'], sb.env)
  assert.equal(once.code, 0, once.stderr)
  const after = await readSlot(sb, 'work')
  assert.notEqual(after.refresh_token, work.refresh_token, 'the inactive slot was refreshed before it lapsed')

  // A slot whose login ends soon is warned about, like the active one.
  const refreshed = JSON.parse(await readFile(slotFile(sb, 'work'), 'utf8'))
  await writeFile(
    slotFile(sb, 'work'),
    JSON.stringify({ ...refreshed, refresh_expires_at: new Date(Date.now() + 86_400_000).toISOString() }),
    { mode: 0o600 },
  )
  assert.equal((await runCli(['keepalive', 'run', '--once', '--warn-days', '3'], sb.env)).code, 0)
  const state = JSON.parse((await runCli(['keepalive', 'status', '--json'], sb.env)).stdout)
  assert.match(JSON.stringify(state), /login_ending/, JSON.stringify(state))
  assert.ok(JSON.stringify(state).includes('claude-code@work'))

  const removed = await runCli(['account', 'remove', 'work'], sb.env)
  assert.equal(removed.code, 0, removed.stderr)
  assert.match(
    removed.stderr,
    /Removed account "work" of profile "claude-code": revoked at the server; backup kept at /,
  )
  assert.equal(await exists(slotFile(sb, 'work')), false)
  assert.equal((await server.userinfo(after.access_token)).status, 401, 'the grant is revoked')
  const list = JSON.parse((await runCli(['account', 'list', '--json'], sb.env)).stdout).accounts
  assert.deepEqual(
    list.map((r: { account: string }) => r.account),
    ['personal'],
  )
})
