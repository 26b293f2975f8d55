import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { freePort, runCli, sandbox } from './harness.js'

let server: AuthServer
before(async () => {
  server = await startAuthServer({ deviceFlow: false })
})
after(() => server?.close())

test('profile add by discovery stores the endpoints; list, show and remove', async (t) => {
  const sb = await sandbox(t)
  const add = await runCli(
    ['profile', 'add', 'corp', '--issuer', server.issuer, '--client-id', server.clientId],
    sb.env,
  )
  assert.equal(add.code, 0, add.stderr)
  assert.equal(add.stdout, '')
  assert.match(
    add.stderr,
    /login flows: loopback, paste; revocation: yes; public client\)\.\nNext, run: authkeep login --profile corp\n$/,
  )
  const configFile = join(sb.env.AUTHKEEP_HOME as string, 'config.json')
  assert.equal((await stat(configFile)).mode & 0o777, 0o600)
  const show = await runCli(['profile', 'show', 'corp'], sb.env)
  const shown = JSON.parse(show.stdout)
  assert.equal(shown.token_endpoint, server.endpoints.token)
  assert.equal(shown.device_authorization_endpoint, undefined, 'this server has no device flow')

  const explicit = await runCli(
    [
      'profile',
      'add',
      'manual',
      '--token-endpoint',
      'https://auth.example/token',
      '--authorization-endpoint',
      'https://auth.example/authorize',
      '--client-id',
      'x',
    ],
    sb.env,
  )
  assert.equal(explicit.code, 0, explicit.stderr)
  assert.equal(
    (await runCli(['profile', 'list'], sb.env)).stdout,
    'claude-code\ncodex\ngemini\ncopilot\ncorp\nmanual\n',
  )
  assert.deepEqual(JSON.parse((await runCli(['profile', 'list', '--json'], sb.env)).stdout), {
    profiles: ['claude-code', 'codex', 'gemini', 'copilot', 'corp', 'manual'],
  })

  const dup = await runCli(['profile', 'add', 'corp', '--issuer', server.issuer, '--client-id', 'c'], sb.env)
  assert.equal(dup.code, 3)
  assert.match(dup.stderr, /profile "corp" already exists; run: authkeep profile remove corp/)

  const ambiguous = await runCli(['token'], sb.env)
  assert.equal(ambiguous.code, 2)
  assert.match(
    ambiguous.stderr,
    /several profiles exist \(corp, manual\); say which; run: authkeep token --profile corp/,
  )

  assert.equal((await runCli(['profile', 'remove', 'manual'], sb.env)).code, 0)
  assert.equal(
    (await runCli(['profile', 'list'], sb.env)).stdout,
    'claude-code\ncodex\ngemini\ncopilot\ncorp\n',
  )
})

test('plain http to another machine is refused unless --allow-insecure-http, which is announced', async (t) => {
  const sb = await sandbox(t)
  const args = ['profile', 'add', 'lan', '--token-endpoint', 'http://auth.internal/token', '--client-id', 'c']
  const refused = await runCli(args, sb.env)
  assert.equal(refused.code, 2)
  assert.match(
    refused.stderr,
    /--token-endpoint: uses plain http:\/\/ to another machine; use https:\/\/ or add --allow-insecure-http/,
  )
  const allowed = await runCli([...args, '--allow-insecure-http'], sb.env)
  assert.equal(allowed.code, 0, allowed.stderr)
  assert.match(allowed.stderr, /INSECURE|unencrypted/)
})

test('an invalid config file: one line naming the file and the field, exit 3, file untouched', async (t) => {
  const sb = await sandbox(t)
  assert.equal(
    (await runCli(['profile', 'add', 'p', '--issuer', server.issuer, '--client-id', 'c'], sb.env)).code,
    0,
  )
  const configFile = join(sb.env.AUTHKEEP_HOME as string, 'config.json')
  const config = JSON.parse(await readFile(configFile, 'utf8'))
  config.profiles.p.refresh_margin_seconds = 'soon'
  const broken = JSON.stringify(config)
  await writeFile(configFile, broken)
  for (const cmd of [['status'], ['token'], ['profile', 'list']]) {
    const r = await runCli(cmd, sb.env)
    assert.equal(r.code, 3, `${cmd.join(' ')}: ${r.stderr}`)
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1)
    assert.ok(
      r.stderr.startsWith(`authkeep: ${configFile}: field "profiles.p.refresh_margin_seconds"`),
      r.stderr,
    )
  }
  assert.equal(await readFile(configFile, 'utf8'), broken)
})

test('unreachable issuer at profile add: exit 6 with the retry command', async () => {
  const sb = await sandbox()
  const closed = await freePort()
  try {
    const r = await runCli(
      ['profile', 'add', 'gone', '--issuer', `http://127.0.0.1:${closed}`, '--client-id', 'c'],
      sb.env,
    )
    assert.equal(r.code, 6, r.stderr)
    assert.ok(r.stderr.includes(`ECONNREFUSED`), r.stderr)
    assert.ok(
      r.stderr.endsWith(`run: authkeep profile add gone --issuer http://127.0.0.1:${closed} --client-id c\n`),
      r.stderr,
    )
  } finally {
    await sb.cleanup()
  }
})
