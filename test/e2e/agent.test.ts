import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, lstat, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { type Sshd, startSshd } from '../bed/sshd.js'
import {
  assertNoSecrets,
  BIN,
  CLAUDE_TEST_SCOPES,
  type Cli,
  claudeSandbox,
  pasteLoginClaude,
  runCli,
  type Sandbox,
  sandbox,
  spawnCli,
  waitForStderr,
} from './harness.js'

// The laptop: a claude-code login against the test server, served by `authkeep agent`. Every other
// machine (a second sandbox, or the sshd test user) has an empty AUTHKEEP_HOME and only the socket.
// 2-second access tokens, so a few seconds cover several expiries.
let server: AuthServer
let laptop: Sandbox & { credentials: string }
let agent: Cli
let socket: string

async function startAgent(
  sb: Sandbox,
  extra: string[] = [],
  dir = 'agent',
): Promise<{ agent: Cli; socket: string }> {
  const child = spawnCli(['agent', '--socket', join(sb.dir, dir, 'agent.sock'), ...extra], sb.env, 120_000)
  const [, path] = await waitForStderr(child, /^export AUTHKEEP_AGENT_SOCK=(\S+)$/m)
  return { agent: child, socket: path as string }
}

async function stopAgent(child: Cli): Promise<string> {
  child.kill('SIGTERM')
  const r = await child.output
  assert.equal(r.code, 0, r.stderr)
  return r.stderr
}

/** One raw protocol exchange, as any local process could make it. */
function rawRequest(path: string, line: string, opts: { uid?: number } = {}): Promise<string> {
  if (opts.uid !== undefined) {
    // Another user's process: the same exchange from a child running as that uid.
    const code = `const s=require('net').connect(${JSON.stringify(path)});let o='';s.on('data',d=>o+=d);s.on('close',()=>process.stdout.write(o));s.on('error',e=>{process.stdout.write('ERR '+e.code)});s.write(${JSON.stringify(line)})`
    return new Promise((resolve) => {
      const c = spawn(process.execPath, ['-e', code], { uid: opts.uid, gid: opts.uid, cwd: '/' })
      let out = ''
      c.stdout.on('data', (d) => {
        out += d
      })
      c.on('close', () => resolve(out))
    })
  }
  return new Promise((resolve, reject) => {
    const s = connect(path)
    let out = ''
    s.on('data', (d) => {
      out += d
    })
    s.on('close', () => resolve(out))
    s.on('error', reject)
    s.write(line)
  })
}

async function remoteSandbox(): Promise<Sandbox> {
  return sandbox({ AUTHKEEP_AGENT_SOCK: socket })
}

async function laptopRefreshToken(): Promise<string> {
  return JSON.parse(await readFile(laptop.credentials, 'utf8')).claudeAiOauth.refreshToken
}

before(async () => {
  server = await startAuthServer({
    jsonTokenRequests: true,
    scopes: CLAUDE_TEST_SCOPES,
    // The server's exp is whole seconds (iat rounded down), so a token ends up to 1 s before this client
    // reckons; 6 s leaves the last quarter of its life (when a fresh one is fetched) longer than that.
    ttl: { accessToken: 6 },
  })
  laptop = await claudeSandbox(server)
  await pasteLoginClaude(laptop.env)
  ;({ agent, socket } = await startAgent(laptop))
})
after(async () => {
  if (agent && agent.exitCode === null) agent.kill('SIGTERM')
  await agent?.output
  await laptop?.cleanup()
  await server?.close()
})

describe('authkeep agent over a local socket', () => {
  test('the socket is 0600 in a 0700 directory; a machine with no login of its own gets valid tokens through token and exec', async () => {
    assert.equal((await stat(socket)).mode & 0o777, 0o600)
    assert.equal((await stat(join(socket, '..'))).mode & 0o777, 0o700)
    const remote = await remoteSandbox()
    try {
      const r = await runCli(['token'], remote.env)
      assert.equal(r.code, 0, r.stderr)
      const token = r.stdout.trim()
      assert.equal((await server.userinfo(token)).status, 200)

      const e = await runCli(['exec', '--', 'sh', '-c', 'printf %s "$CLAUDE_CODE_OAUTH_TOKEN"'], remote.env)
      assert.equal(e.code, 0, e.stderr)

      // Claude Code's apiKeyHelper on this machine gets its token from the agent too.
      const helper = await runCli(['claude', 'helper'], remote.env)
      assert.equal(helper.code, 0, helper.stderr)
      assert.equal((await server.userinfo(helper.stdout.trim())).status, 200)

      // A profile this machine has no config for is still asked of the agent, which decides.
      const other = await runCli(['token', '--profile', 'work'], remote.env)
      assert.equal(other.code, 1, other.stderr)
      assert.match(other.stderr, /serves: claude-code/)
      assert.equal((await server.userinfo(e.stdout)).status, 200)
      assert.deepEqual(
        await readdir(remote.env.AUTHKEEP_HOME as string).catch(() => []),
        [],
        'nothing stored',
      )

      // Logged: time, profile, peer and result, and never the token.
      const log = agent.stderrSoFar()
      assert.match(
        log,
        /^\S+Z profile=claude-code peer="node \(pid \d+\) uid 0" host="[^"]+" ok \((cached|refreshed|adopted)\)$/m,
      )
      assertNoSecrets([log], [token, e.stdout, await laptopRefreshToken()])
    } finally {
      await remote.cleanup()
    }
  })

  test('a profile it was not started for, a wrong version, bad JSON and an over-long line are refused; the agent keeps serving', async () => {
    const ask = async (line: string) => JSON.parse(await rawRequest(socket, line))
    const notServed = await ask('{"v":1,"op":"token","profile":"work"}\n')
    assert.equal(notServed.error, 'profile_not_served')
    assert.match(notServed.description, /serves: claude-code/)
    assert.equal((await ask('{"v":2,"op":"token","profile":"claude-code"}\n')).error, 'unsupported_version')
    assert.equal((await ask('{"v":1,"op":"token"\n')).error, 'bad_request')
    assert.equal((await ask(`${'x'.repeat(10_000)}\n`)).error, 'bad_request')
    const ok = await ask('{"v":1,"op":"token","profile":"claude-code"}\n')
    assert.equal((await server.userinfo(ok.access_token)).status, 200)
  })

  test('another uid is refused by the peer check itself, even when the socket is reachable', async () => {
    // Open the way so the kernel lets uid 65534 connect: only the agent's SO_PEERCRED check remains.
    const dirs = [laptop.dir, join(socket, '..')]
    for (const d of dirs) await chmod(d, 0o711)
    await chmod(socket, 0o666)
    try {
      const answer = await rawRequest(socket, '{"v":1,"op":"token","profile":"claude-code"}\n', {
        uid: 65534,
      })
      assert.doesNotMatch(
        answer,
        /^ERR/,
        `uid 65534 must reach the socket for this test to mean anything: ${answer}`,
      )
      const r = JSON.parse(answer)
      assert.equal(r.error, 'peer_refused')
      assert.equal(r.access_token, undefined)
      assert.match(agent.stderrSoFar(), /peer="node \(pid \d+\) uid 65534" refused: another user/)
    } finally {
      await chmod(socket, 0o600)
      for (const d of dirs) await chmod(d, 0o700)
    }
  })

  test('no agent at AUTHKEEP_AGENT_SOCK: one line naming `authkeep ssh`, exit 6', async () => {
    const remote = await sandbox({ AUTHKEEP_AGENT_SOCK: join(laptop.dir, 'agent', 'gone.sock') })
    try {
      for (const args of [['token'], ['exec', '--', 'true']]) {
        const r = await runCli(args, remote.env)
        assert.equal(r.code, 6, r.stderr)
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
        assert.match(r.stderr, /authkeep agent is not reachable \(ENOENT\).*; run: authkeep ssh USER@HOST/)
      }
    } finally {
      await remote.cleanup()
    }
  })

  test('a forwarded socket nothing listens on any more is removed by the command that finds it dead', async () => {
    const dead = `/tmp/authkeep-agent-${randomBytes(12).toString('hex')}.sock`
    // A listener killed outright, as sshd's is when a session is cut: its socket file stays behind.
    const holder = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(dead)}, () => console.log('up'))`,
    ])
    await new Promise((resolve) => holder.stdout.once('data', resolve))
    holder.kill('SIGKILL')
    await new Promise((resolve) => holder.once('close', resolve))
    assert.ok((await lstat(dead)).isSocket(), 'the dead socket is there')
    const remote = await sandbox({ AUTHKEEP_AGENT_SOCK: dead })
    try {
      const r = await runCli(['token'], remote.env)
      assert.equal(r.code, 6, r.stderr)
      assert.match(r.stderr, /not reachable \(ECONNREFUSED\)/)
      await assert.rejects(lstat(dead), 'the dead socket was removed')
    } finally {
      await rm(dead, { force: true })
      await remote.cleanup()
    }
  })

  test('a socket directory others can write to (like /tmp) is refused with a private directory to use, never a chmod of theirs', async () => {
    const shared = join(laptop.dir, 'shared-tmp')
    await mkdir(shared)
    await chmod(shared, 0o1777)
    const refused = await runCli(['agent', '--socket', join(shared, 'agent.sock')], laptop.env)
    assert.equal(refused.code, 3, refused.stderr)
    const private_ = join(shared, `authkeep-${process.getuid?.()}`, 'agent.sock')
    assert.equal(
      refused.stderr,
      `authkeep: ${shared} is writable by others; another user could replace the agent's socket; run: authkeep agent --socket ${private_}\n`,
    )
    assert.equal((await stat(shared)).mode & 0o7777, 0o1777, 'the shared directory is left as it was')
    // The command it names works.
    const child = spawnCli(['agent', '--socket', private_], laptop.env, 60_000)
    try {
      await waitForStderr(child, /^export AUTHKEEP_AGENT_SOCK=(\S+)$/m)
      assert.equal((await stat(join(private_, '..'))).mode & 0o777, 0o700)
      const remote = await sandbox({ AUTHKEEP_AGENT_SOCK: private_ })
      try {
        const r = await runCli(['token'], remote.env)
        assert.equal(r.code, 0, r.stderr)
      } finally {
        await remote.cleanup()
      }
    } finally {
      await stopAgent(child)
    }
  })

  test('--confirm: a "n" is refused, a "y" is served and remembered for that session and profile', async () => {
    // A second agent on the same login: both refresh under the same lock.
    const confirming = spawnCli(
      ['agent', '--confirm', '--socket', join(laptop.dir, 'confirm', 'agent.sock')],
      laptop.env,
      60_000,
    )
    try {
      const [, path] = await waitForStderr(confirming, /^export AUTHKEEP_AGENT_SOCK=(\S+)$/m)
      const remote = await sandbox({ AUTHKEEP_AGENT_SOCK: path as string })
      try {
        const denied = spawnCli(['token'], remote.env)
        denied.stdin?.end()
        await waitForStderr(
          confirming,
          /give an access token for profile "claude-code" to host "[^"]+" via node \(pid \d+\)\? \[y\/N\] $/,
        )
        confirming.stdin?.write('n\n')
        const d = await denied.output
        assert.equal(d.code, 1, d.stderr)
        assert.match(d.stderr, /declined/)

        const raw = connect(path as string)
        const answer = new Promise<string>((resolve) => {
          let out = ''
          raw.on('data', (c) => {
            out += c
          })
          raw.on('close', () => resolve(out))
        })
        raw.write('{"v":1,"op":"token","profile":"claude-code","host":"h1"}\n')
        await waitForStderr(confirming, /to host "h1" via node/)
        confirming.stdin?.write('y\n')
        assert.equal((await server.userinfo(JSON.parse(await answer).access_token)).status, 200)
        const again = JSON.parse(
          await rawRequest(path as string, '{"v":1,"op":"token","profile":"claude-code","host":"h1"}\n'),
        )
        assert.ok(again.access_token, 'the same process and host are not asked twice')
        assert.equal(confirming.stderrSoFar().match(/to host "h1"/g)?.length, 1)

        // A host name is the peer's word: asked about and logged as text, never as terminal commands.
        const hostile = rawRequest(
          path as string,
          `${JSON.stringify({ v: 1, op: 'token', profile: 'claude-code', host: 'h2\u001b]0;owned\u0007\u001b[2J\r\n[y/N] ' })}\n`,
        )
        await waitForStderr(
          confirming,
          /to host "h2\\x1b\]0;owned\\x07\\x1b\[2J\\x0d\\x0a\[y\/N\] " via node/,
        )
        confirming.stdin?.write('n\n')
        assert.equal(JSON.parse(await hostile).error, 'denied')
        await waitForStderr(confirming, /host="h2\\x1b[^"]*" denied: /)
        // biome-ignore lint/suspicious/noControlCharactersInRegex: what must never reach a terminal
        assert.doesNotMatch(confirming.stderrSoFar(), /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/)
      } finally {
        await remote.cleanup()
      }
    } finally {
      await stopAgent(confirming)
    }
  })
})

describe('authkeep ssh: the agent forwarded over a real OpenSSH server', () => {
  let sshd: Sshd
  before(async () => {
    sshd = await startSshd()
  })
  after(() => sshd?.close())

  test('the remote gets valid tokens across expiries, every refresh happens at the agent, the remote holds no refresh token, and a stopped agent is a clear error', async () => {
    const remoteHome = '$HOME/authkeep'
    const remoteCli = `${process.execPath} ${BIN}`
    // One forwarded session; each line on its stdin runs `authkeep token` there once.
    const script = `for i in 1 2 3 4 5; do read go || exit 0; AUTHKEEP_HOME=${remoteHome} ${remoteCli} token; echo "rc=$?"; done`
    server.resetCounts()
    const logFrom = agent.stderrSoFar().length
    const refreshTokens = new Set([await laptopRefreshToken()])
    const session = spawnCli(
      ['ssh', '--socket', socket, ...sshd.sshArgs, sshd.target, script],
      laptop.env,
      90_000,
    )
    const lines: string[] = []
    let buffered = ''
    session.stdout?.on('data', (d) => {
      buffered += d
      const parts = buffered.split('\n')
      buffered = parts.pop() ?? ''
      lines.push(...parts)
    })
    const nextLines = async (n: number) => {
      for (let i = 0; i < 400 && lines.length < n; i++) await sleep(50)
      assert.ok(lines.length >= n, `no answer from the remote; stderr:\n${session.stderrSoFar()}`)
    }
    try {
      const tokens: string[] = []
      for (let round = 0; round < 3; round++) {
        session.stdin?.write('\n')
        await nextLines(lines.length + 2)
        const [token, rc] = lines.slice(-2)
        assert.equal(rc, 'rc=0', session.stderrSoFar())
        assert.equal((await server.userinfo(token as string)).status, 200, `round ${round}: a valid token`)
        tokens.push(token as string)
        refreshTokens.add(await laptopRefreshToken())
        await sleep(6_100) // past the token's end
      }
      assert.equal(new Set(tokens).size, 3, 'a new token after each expiry')
      const agentLog = agent.stderrSoFar().slice(logFrom)
      const refreshedAtAgent = agentLog.match(/ok \(refreshed\)/g)?.length ?? 0
      assert.ok(server.counts.refresh_token >= 2, `refreshes: ${server.counts.refresh_token}`)
      assert.equal(server.counts.refresh_token, refreshedAtAgent, 'every refresh was the agent’s')
      assert.match(agentLog, new RegExp(`peer="ssh ${sshd.target} \\(pid \\d+\\) uid 0" host="[^"]+" ok`))

      // The remote user's files hold no refresh token, and no record of one.
      const found = await scan(sshd.home)
      assertNoSecrets(
        found.map((f) => f.text),
        [...refreshTokens],
      )
      for (const f of found) assert.doesNotMatch(f.text, /refresh_token|refreshToken/, f.file)

      // The agent stops while the session is still open.
      await stopAgent(agent)
      session.stdin?.write('\n')
      await nextLines(lines.length + 1)
      assert.equal(lines.at(-1), 'rc=6')
      assert.match(session.stderrSoFar(), /authkeep agent is not reachable .*; run: authkeep ssh USER@HOST/)
      session.stdin?.end()
      const end = await session.output
      assert.equal(end.code, 0, end.stderr)

      // And `authkeep ssh` itself says what is missing before connecting.
      const none = await runCli(['ssh', '--socket', socket, ...sshd.sshArgs, sshd.target, 'true'], laptop.env)
      assert.equal(none.code, 6, none.stderr)
      assert.match(none.stderr, /no authkeep agent at .*; run: authkeep agent/)
    } finally {
      if (session.exitCode === null) session.kill('SIGTERM')
      await session.output
      // sshd leaves a forwarded socket behind when the session ends.
      const left = /forwarding the agent to (\S+) on the remote/.exec(session.stderrSoFar())?.[1]
      if (left) await rm(left, { force: true })
    }
  })
})

describe('authkeep ssh: AUTHKEEP_SSH, and no socket left behind', () => {
  let sshd: Sshd
  before(async () => {
    sshd = await startSshd()
  })
  after(() => sshd?.close())

  test('AUTHKEEP_SSH is the ssh it runs (as for login --for), and the forwarded socket is gone when the session ends', async () => {
    const own = await startAgent(laptop, [], 'agent-ssh')
    try {
      // Only the -F file knows the alias: plain `ssh` could not reach it.
      const env = { ...laptop.env, AUTHKEEP_SSH: `ssh -F ${sshd.sshConfigFile}` }
      const remoteCli = `${process.execPath} ${BIN}`
      for (const command of ['true', `AUTHKEEP_HOME=$HOME/ak ${remoteCli} token >/dev/null; echo "rc=$?"`]) {
        const r = await runCli(['ssh', '--socket', own.socket, sshd.alias, command], env)
        assert.equal(r.code, 0, r.stderr)
        if (command !== 'true') assert.match(r.stdout, /^rc=0$/m)
        const remoteSocket = /forwarding the agent to (\S+) on the remote/.exec(r.stderr)?.[1]
        assert.ok(remoteSocket, r.stderr)
        await assert.rejects(lstat(remoteSocket), `${remoteSocket} was left behind`)
      }
      // The session's exit code is the remote command's own.
      const failing = await runCli(['ssh', '--socket', own.socket, sshd.alias, 'exit 3'], env)
      assert.equal(failing.code, 3, failing.stderr)
    } finally {
      await stopAgent(own.agent)
    }
  })
})

async function scan(dir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = []
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await scan(p)))
    else if (e.isFile()) out.push({ file: p, text: await readFile(p, 'utf8') })
  }
  return out
}
