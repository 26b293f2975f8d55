import assert from 'node:assert/strict'
import { copyFile, cp, mkdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { CLAUDE_BIN, claudeSandbox, inferenceRequests } from '../bed/claude/claudeHarness.js'
import { EXE, ensureExe, exeFor } from '../bed/exe.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { startKeyringSession } from '../bed/keyringSession.js'
import { pathWithoutNode, withoutNodeArgv } from '../bed/noNode.js'
import {
  addProfile,
  CLAUDE_TEST_SCOPES,
  DEVICE_LINK,
  pointClaudeProfileAt,
  type Sandbox,
  sandbox,
  spawnCli,
  waitForStderr,
} from './harness.js'

// The single executable, copied alone into a folder (no keyring binding beside it), run in a mount
// namespace where every node binary is covered and PATH leads to none.
let server: AuthServer
let exeDir: string
let exe: string
let sb: Sandbox

/** The executable with Node hidden; the environment's PATH leads to the executable's folder only. */
function runExe(args: string[], env: Record<string, string>, input = '', file = exe) {
  const child = spawnCli(args, env, 60_000, withoutNodeArgv([file]))
  child.stdin?.end(input)
  return child
}

before(async () => {
  const built = ensureExe()
  // 3-second access tokens: keep-alive finds one due after a short wait.
  server = await startAuthServer({ deviceInterval: 1, ttl: { accessToken: 3 } })
  sb = await sandbox()
  exeDir = join(sb.dir, 'bin')
  exe = join(exeDir, 'authkeep')
  await mkdir(exeDir, { recursive: true })
  await copyFile(built, exe)
  sb.env.PATH = pathWithoutNode(exeDir)
})
after(async () => {
  await server?.close()
  await sb?.cleanup()
})

describe('the single executable where no node can be found', () => {
  test('node is not runnable there, by PATH or by its own path', async () => {
    const probe = withoutNodeArgv([
      '/bin/sh',
      '-c',
      `command -v node || echo no-node-on-path; ${process.execPath} -e 0; echo "rc=$?"`,
    ])
    const r = await spawnCli([], { PATH: sb.env.PATH as string }, 20_000, probe).output
    assert.match(r.stdout, /^no-node-on-path$/m, r.stdout)
    assert.match(r.stdout, /^rc=126$/m, `${r.stdout}${r.stderr}`)
  })

  test('doctor, a device login (the keyring binding absent: file store, with a note), token, keepalive run --once', async () => {
    await addProfile(server, sb.env, 'test', 'auto')

    const doctor = await runExe(['doctor', '--profile', 'test', '--json'], sb.env).output
    assert.equal(doctor.code, 8, doctor.stderr)
    assert.ok(
      JSON.parse(doctor.stdout).findings.some((f: { id: string }) => f.id === 'credentials.missing'),
      doctor.stdout,
    )

    const login = runExe(['login', '--profile', 'test', '--method', 'device'], sb.env)
    const [, link] = await waitForStderr(login, DEVICE_LINK)
    await approveWithHttp(link as string)
    const l = await login.output
    assert.equal(l.code, 0, l.stderr)
    assert.match(
      l.stderr,
      /the system keyring is not available \(cannot load the keyring module: @napi-rs\/keyring is not installed beside .*\); storing the tokens in a 0600 file instead/,
    )
    const record = await sb.readRecord('test')
    assert.equal(record.secrets_in, 'file')

    const token = await runExe(['token', '--profile', 'test'], sb.env).output
    assert.equal(token.code, 0, token.stderr)
    assert.equal((await server.userinfo(token.stdout.trim())).status, 200)

    const healthy = await runExe(['doctor', '--profile', 'test'], sb.env).output
    assert.ok(healthy.code === 0 || healthy.code === 7, `${healthy.code}: ${healthy.stdout}${healthy.stderr}`)

    await new Promise((r) => setTimeout(r, 3_100))
    const due = await sb.readRecord('test')
    server.resetCounts()
    const once = await runExe(['keepalive', 'run', '--once'], sb.env).output
    assert.equal(once.code, 0, once.stderr)
    assert.equal(server.counts.refresh_token, 1, once.stderr)
    assert.notEqual((await sb.readRecord('test')).access_token, due.access_token)
  })
})

test('with the keyring binding beside it (as in dist-exe/), the executable keeps the tokens in the keyring', async () => {
  const kb = await sandbox()
  const keyring = await startKeyringSession(join(kb.dir, 'home'))
  try {
    // Outside the repository, so the binding is the one beside it and not the repository's.
    const dir = join(kb.dir, 'bin')
    const withBinding = join(dir, 'authkeep')
    await mkdir(dir)
    await copyFile(EXE, withBinding)
    await cp(join(dirname(EXE), 'node_modules'), join(dir, 'node_modules'), { recursive: true })
    const env = { ...kb.env, ...keyring.env, PATH: pathWithoutNode() }
    await addProfile(server, env, 'test', 'auto')
    const login = spawnCli(['login', '--method', 'device'], env, 60_000, withoutNodeArgv([withBinding]))
    login.stdin?.end()
    const [, link] = await waitForStderr(login, DEVICE_LINK)
    await approveWithHttp(link as string)
    const l = await login.output
    assert.equal(l.code, 0, l.stderr)
    assert.match(l.stderr, /secrets in keyring \(authkeep\/test\)/)
    assert.equal((await kb.readRecord('test')).secrets_in, 'keyring')
    const token = await runExe(['token'], env, '', withBinding).output
    assert.equal(token.code, 0, token.stderr)
    assert.equal((await server.userinfo(token.stdout.trim())).status, 200)
  } finally {
    await keyring.stop()
    await kb.cleanup()
  }
})

test('real Claude Code, with Node hidden, runs the executable as its apiKeyHelper', async () => {
  const claudeServer = await startAuthServer({ jsonTokenRequests: true, scopes: CLAUDE_TEST_SCOPES })
  const cs = await claudeSandbox()
  try {
    const env = {
      PATH: pathWithoutNode(exeDir),
      HOME: cs.home,
      CLAUDE_CONFIG_DIR: cs.configDir,
      AUTHKEEP_HOME: join(cs.root, 'authkeep'),
      LANG: 'C.UTF-8',
    }
    await pointClaudeProfileAt(claudeServer, env.AUTHKEEP_HOME)
    const key = 'sk-ant-api03-SINGLEEXECUTABLE-0123456789abcdefghij'
    assert.equal((await runExe(['key', 'set'], env, key).output).code, 0)
    const use = await runExe(['claude', 'use-helper'], env).output
    assert.equal(use.code, 0, use.stderr)
    const settings = JSON.parse(await readFile(join(cs.configDir, 'settings.json'), 'utf8'))
    // The helper is the executable itself: no node, no script path.
    assert.match(settings.apiKeyHelper, new RegExp(`^(.* )?'?${exe}'? claude helper --profile`))
    assert.doesNotMatch(settings.apiKeyHelper, /node|\.cjs/)
    assert.equal(settings.apiKeyHelper.split(exe).length, 2, `the executable once: ${settings.apiKeyHelper}`)

    const r = await cs.run(['-p', 'ping'], { PATH: env.PATH }, { command: withoutNodeArgv([CLAUDE_BIN]) })
    assert.equal(r.code, 0, r.stderr)
    const sent = inferenceRequests(r.requests)
    assert.ok(sent.length > 0 && sent.every((q) => q.xApiKey === key), JSON.stringify(sent))
  } finally {
    await cs.cleanup()
    await claudeServer.close()
  }
})

test('the linux-arm64 build, under user-mode emulation: doctor, a device login, token', async () => {
  const arm = ensureExe('arm64')
  assert.notEqual(arm, exeFor(process.arch))
  const emulated = ['qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu', arm]
  const ab = await sandbox()
  try {
    // Profile set-up and doctor's JSON as from the x64 build: the same program.
    const add = await spawnCli(
      [
        'profile',
        'add',
        'arm',
        '--issuer',
        server.issuer,
        '--client-id',
        server.clientId,
        '--scope',
        'openid offline_access',
        '--store',
        'file',
      ],
      ab.env,
      120_000,
      emulated,
    ).output
    assert.equal(add.code, 0, add.stderr)
    const doctor = await spawnCli(['doctor', '--profile', 'arm', '--json'], ab.env, 120_000, emulated).output
    assert.equal(doctor.code, 8, doctor.stderr)
    assert.ok(JSON.parse(doctor.stdout).findings.some((f: { id: string }) => f.id === 'credentials.missing'))
    const login = spawnCli(['login', '--profile', 'arm', '--method', 'device'], ab.env, 120_000, emulated)
    login.stdin?.end()
    const [, link] = await waitForStderr(login, DEVICE_LINK, 60_000)
    await approveWithHttp(link as string)
    const l = await login.output
    assert.equal(l.code, 0, l.stderr)
    const token = await spawnCli(['token', '--profile', 'arm'], ab.env, 120_000, emulated).output
    assert.equal(token.code, 0, token.stderr)
    assert.equal((await server.userinfo(token.stdout.trim())).status, 200)
  } finally {
    await ab.cleanup()
  }
})
