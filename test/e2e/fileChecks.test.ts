import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmod, chown, lstat, mkdir, readFile, rename, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import {
  addProfile,
  CLAUDE_TEST_SCOPES,
  claudeSandbox,
  deviceLogin,
  pasteLoginClaude,
  type Result,
  type Sandbox,
  sandbox,
  spawnCli,
} from './harness.js'

// Every file authkeep reads is looked at before it is opened: only a regular file of bounded size is
// read. A FIFO made every command that read it hang, and a link to /dev/zero filled memory.

const mkfifo = (path: string) => promisify(execFile)('mkfifo', ['-m', '600', path])
const isRoot = process.getuid?.() === 0
/** Far below the harness's own limit: a command that would block on a FIFO is killed and seen here. */
const BOUND_MS = 20_000

let server: AuthServer
before(async () => {
  server = await startAuthServer({ deviceInterval: 1, jsonTokenRequests: true, scopes: CLAUDE_TEST_SCOPES })
})
after(() => server?.close())

async function bounded(args: string[], env: Record<string, string>): Promise<Result> {
  const child = spawnCli(args, env, BOUND_MS)
  child.stdin?.end()
  const r = await child.output
  assert.equal(r.signal, null, `authkeep ${args.join(' ')} did not finish: ${r.stderr}`)
  return r
}

async function withSandbox(fn: (sb: Sandbox) => Promise<void>): Promise<void> {
  const sb = await sandbox()
  try {
    await addProfile(server, sb.env)
    await fn(sb)
  } finally {
    await sb.cleanup()
  }
}

test('a FIFO in place of a record: status, token, refresh and logout answer at once, exit 3, naming the file', async () => {
  await withSandbox(async (sb) => {
    const file = sb.recordFile('test')
    await mkdir(join(file, '..'), { recursive: true, mode: 0o700 })
    await mkfifo(file)
    const login = ['login', '--method', 'paste']
    for (const args of [['status'], ['token'], ['refresh', '--force'], ['logout'], login]) {
      const r = await bounded(args, sb.env)
      assert.equal(r.code, 3, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
      assert.match(r.stdout + r.stderr, /test\.json: is a FIFO \(named pipe\), not a regular file/)
    }
    assert.ok((await lstat(file)).isFIFO(), 'nothing was removed behind the refusal')
    const doctor = await bounded(['doctor', '--json'], sb.env)
    assert.equal(doctor.code, 8, doctor.stderr)
    const finding = JSON.parse(doctor.stdout).findings.find(
      (f: { id: string }) => f.id === 'credentials.unparseable',
    )
    assert.match(finding?.found ?? '', /is a FIFO/)
  })
})

test('a record, the config and the keep-alive state linked to /dev/zero are refused unread', async () => {
  await withSandbox(async (sb) => {
    const record = sb.recordFile('test')
    await mkdir(join(record, '..'), { recursive: true, mode: 0o700 })
    await symlink('/dev/zero', record)
    const token = await bounded(['token'], sb.env)
    assert.equal(token.code, 3, token.stderr)
    assert.match(token.stderr, /test\.json: is a symbolic link to \/dev\/zero/)
    assert.doesNotMatch(token.stderr, /cp --remove-destination/, 'copying a device is no cure')

    const state = join(sb.env.AUTHKEEP_HOME as string, 'state', 'keepalive', 'state.json')
    await mkdir(join(state, '..'), { recursive: true, mode: 0o700 })
    await symlink('/dev/zero', state)
    const keepalive = await bounded(['keepalive', 'status'], sb.env)
    assert.equal(keepalive.code, 3, keepalive.stderr)
    assert.match(keepalive.stderr, /state\.json: is a device, not a regular file/)

    const config = join(sb.env.AUTHKEEP_HOME as string, 'config.json')
    await rename(config, `${config}.real`)
    await symlink('/dev/zero', config)
    const status = await bounded(['status'], sb.env)
    assert.equal(status.code, 3, status.stderr)
    assert.match(
      status.stderr,
      /config\.json: is a device, not a regular file; authkeep reads only regular files; run: ls -l \//,
    )
  })
})

test('a config file larger than authkeep reads is refused with its size, not parsed', async () => {
  await withSandbox(async (sb) => {
    const config = join(sb.env.AUTHKEEP_HOME as string, 'config.json')
    const text = await readFile(config, 'utf8')
    await writeFile(config, text.replace(/}\s*$/, `, "pad": "${'x'.repeat(2 * 1024 * 1024)}" }`))
    const r = await bounded(['status'], sb.env)
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /config\.json: is larger than the 1048576 bytes authkeep reads/)
  })
})

test("as root, Claude's credential file linked to another user's file is refused: that login is neither refreshed nor taken over", {
  skip: isRoot ? false : 'needs root to give a file to another uid',
}, async () => {
  const sb = await claudeSandbox(server)
  try {
    await pasteLoginClaude(sb.env)
    // Another user's Claude login, which a link in root's config directory points at.
    const theirs = join(sb.dir, 'nobody', '.credentials.json')
    await mkdir(join(theirs, '..'), { mode: 0o700 })
    await rename(sb.credentials, theirs)
    await chown(join(theirs, '..'), 65534, 65534)
    await chown(theirs, 65534, 65534)
    await symlink(theirs, sb.credentials)
    const before = await readFile(theirs, 'utf8')
    server.resetCounts()

    for (const args of [['refresh', '--force'], ['token'], ['status']]) {
      const r = await bounded(args, sb.env)
      assert.equal(r.code, 3, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
      assert.match(
        r.stdout + r.stderr,
        /\.credentials\.json: is a symbolic link to a file owned by uid 65534, not by you \(uid 0\)/,
      )
    }
    // A new login is refused before the person approves anything, not written over their file after.
    const login = await bounded(['login', '--profile', 'claude-code', '--method', 'paste'], sb.env)
    assert.equal(login.code, 3, login.stderr)
    assert.match(login.stderr, /owned by uid 65534/)
    assert.doesNotMatch(login.stderr, /Open this URL/)
    assert.equal(server.counts.refresh_token, 0, 'their grant was not used')
    assert.equal(await readFile(theirs, 'utf8'), before, 'their file is as it was')
    assert.equal((await stat(theirs)).uid, 65534, 'and still theirs')
    assert.ok((await lstat(sb.credentials)).isSymbolicLink())
  } finally {
    await sb.cleanup()
  }
})

test('a link to a file of your own is still followed, and a refresh writes through it', async () => {
  const sb = await claudeSandbox(server)
  try {
    await pasteLoginClaude(sb.env)
    const dotfiles = join(sb.dir, 'dotfiles', '.credentials.json')
    await mkdir(join(dotfiles, '..'), { mode: 0o700 })
    await rename(sb.credentials, dotfiles)
    await symlink(dotfiles, sb.credentials)
    const before = JSON.parse(await readFile(dotfiles, 'utf8')).claudeAiOauth.refreshToken
    const r = await bounded(['refresh', '--force'], sb.env)
    assert.equal(r.code, 0, r.stderr)
    assert.ok((await lstat(sb.credentials)).isSymbolicLink(), 'the link is kept')
    assert.notEqual(JSON.parse(await readFile(dotfiles, 'utf8')).claudeAiOauth.refreshToken, before)
  } finally {
    await sb.cleanup()
  }
})

test('logout of a record it refuses to read says nothing was revoked, and the command it prints revokes it', async () => {
  await withSandbox(async (sb) => {
    assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u))).code, 0)
    const record = await sb.readRecord('test')
    await chmod(sb.recordFile('test'), 0o644)

    const r = await bounded(['logout'], sb.env)
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /nothing to revoke/)
    assert.match(
      r.stderr,
      /Logged out of profile "test" but NOT revoked at the server: its record could not be read \(readable by other users \(mode 644\).*\), so a token in it stays valid there until it expires; backup kept at \S+\. To revoke it, run: (authkeep restore \S+ && authkeep logout --profile test)\n$/,
    )
    assert.equal(
      (await server.userinfo(record.access_token as string)).status,
      200,
      'still valid, as it says',
    )

    const fix = /To revoke it, run: (.*)\n$/.exec(r.stderr)?.[1] ?? ''
    for (const step of fix.split(' && ')) {
      const args = step.split(' ').slice(1)
      const done = await bounded(args, sb.env)
      assert.equal(done.code, 0, `${step}: ${done.stderr}`)
      if (args[0] === 'logout') assert.match(done.stderr, /revoked at the server/)
    }
    assert.equal((await server.userinfo(record.access_token as string)).status, 401, 'revoked now')
  })
})
