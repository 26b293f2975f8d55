// What the CLI says when the input, the command line or stdout is not what it expects: one line, an
// exit code from the table, never a stack trace, never a password.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { addProfile, BIN, deviceLogin, type Result, runCli, type Sandbox, sandbox } from './harness.js'

let server: AuthServer
let sb: Sandbox
before(async () => {
  server = await startAuthServer({ deviceInterval: 1 })
  sb = await sandbox()
  await addProfile(server, sb.env)
  const r = await deviceLogin(sb.env, (url) => approveWithHttp(url))
  assert.equal(r.code, 0, r.stderr)
})
after(async () => {
  await sb?.cleanup()
  await server?.close()
})

/** Runs the CLI with its stdout given as `stdout`: a pipe whose reader is gone, or a file descriptor. */
function runWithStdout(args: string[], stdout: 'closed' | number): Promise<Result> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: sb.env,
    stdio: ['ignore', stdout === 'closed' ? 'pipe' : stdout, 'pipe'],
  })
  // The reader leaves before the CLI has written anything, as `head -c1` does after its byte.
  if (stdout === 'closed') child.stdout?.destroy()
  let stderr = ''
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: '', stderr })
    }),
  )
}

test('a reader that closes stdout early (`token | head -c1`): the command ends quietly with its own exit code', async () => {
  // token (served by the fast path), and commands of the full CLI printing a little or a lot.
  for (const args of [['token'], ['status', '--json'], ['profile', 'list'], ['login', '--help']]) {
    const r = await runWithStdout(args, 'closed')
    assert.equal(r.stderr, '', `${args.join(' ')}: ${r.stderr}`)
    assert.equal(r.code, 0, args.join(' '))
  }
})

test('stdout on a full device: one line naming ENOSPC and exit 1, no stack trace', async () => {
  const full = openSync('/dev/full', 'w')
  try {
    for (const args of [['token'], ['status', '--json']]) {
      const r = await runWithStdout(args, full)
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(
        r.stderr,
        'authkeep: could not write to stdout (ENOSPC); the output is incomplete; run: df -h\n',
      )
    }
  } finally {
    closeSync(full)
  }
})

test("an unknown option or command: one line ending with the command's --help, exit 2", async () => {
  const cases: Array<[string[], string]> = [
    [['login', '--bogus'], "authkeep: unknown option '--bogus'; run: authkeep login --help\n"],
    [
      ['profile', 'add', 'x', '--client-id', 'c', '--zzzz'],
      "authkeep: unknown option '--zzzz'; run: authkeep profile add --help\n",
    ],
    [['--bogus'], "authkeep: unknown option '--bogus'; run: authkeep --help\n"],
    // A token pasted where an option goes is masked; a long option name of authkeep's own is not.
    [
      ['login', '--sk-ant-oat01-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'],
      "authkeep: unknown option '…6789'; run: authkeep login --help\n",
    ],
    [
      ['profile', 'add', 'x', '--client-id', 'c', '--device-authorization-endpoint'],
      "authkeep: option '--device-authorization-endpoint <url>' argument missing; run: authkeep profile add --help\n",
    ],
    [['acount'], "authkeep: unknown command 'acount' (did you mean account?); run: authkeep --help\n"],
    [
      ['help', 'acount'],
      "authkeep: unknown command 'acount' (did you mean account?); run: authkeep --help\n",
    ],
    // With --help, an unknown command is still unknown: not the top-level help and exit 0.
    [
      ['acount', '--help'],
      "authkeep: unknown command 'acount' (did you mean account?); run: authkeep --help\n",
    ],
    [
      ['login', '--method', 'magic'],
      "authkeep: option '--method <method>' argument 'magic' is invalid. Allowed choices are auto, device, loopback, paste, handoff.; run: authkeep login --help\n",
    ],
  ]
  for (const [args, line] of cases) {
    const r = await runCli(args, sb.env)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.equal(r.stderr, line)
    assert.equal(r.stdout, '')
  }
  // A command group without its command: the commands on stderr, then the one line.
  const group = await runCli(['key'], sb.env)
  assert.equal(group.code, 2)
  assert.match(group.stderr, /^Usage: authkeep key /)
  assert.ok(
    group.stderr.endsWith(
      'authkeep: authkeep key needs one of the commands listed above; run: authkeep key --help\n',
    ),
    group.stderr,
  )
  const help = await runCli(['login', '--help'], sb.env)
  assert.equal(help.code, 0)
  assert.match(help.stdout, /^Usage: authkeep login/)
})

test('a password in an issuer URL is refused without ever being shown, from argv or from config.json', async (t) => {
  const password = 'Issuer-Passw0rd-42'
  const issuer = new URL(server.issuer)
  issuer.username = 'me'
  issuer.password = password
  const other = await sandbox(t)
  const add = await runCli(
    ['profile', 'add', 'pw', '--issuer', issuer.href, '--client-id', server.clientId],
    other.env,
  )
  assert.equal(add.code, 2, add.stderr)
  assert.match(add.stderr, /^authkeep: --issuer must not hold a user name or password/)

  await mkdir(other.env.AUTHKEEP_HOME as string, { recursive: true })
  await writeFile(
    join(other.env.AUTHKEEP_HOME as string, 'config.json'),
    JSON.stringify({
      version: 1,
      profiles: { pw: { issuer: issuer.href, token_endpoint: server.endpoints.token, client_id: 'x' } },
    }),
  )
  const status = await runCli(['status', '--profile', 'pw'], other.env)
  assert.equal(status.code, 3, status.stderr)
  assert.match(status.stderr, /field "profiles\.pw\.issuer": must not hold a user name or password/)
  const doctor = await runCli(['doctor', '--json', '--profile', 'pw'], other.env)
  assert.equal(doctor.code, 8, doctor.stderr)
  assert.equal(JSON.parse(doctor.stdout).findings[0].id, 'config.invalid')
  for (const r of [add, status, doctor]) {
    assert.ok(!`${r.stdout}${r.stderr}`.includes(password), `${r.stdout}${r.stderr}`)
  }
})
