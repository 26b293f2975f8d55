import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmod, chown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { encodeRequest } from '../../src/oauth/handoffBlob.js'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { type Sshd, startSshd } from '../bed/sshd.js'
import {
  AUTHORIZE_URL,
  addProfile,
  BIN,
  CLAUDE_TEST_SCOPES,
  claudeSandbox,
  deviceLogin,
  runCli,
  type Sandbox,
  sandbox,
  spawnCli,
  waitForStderr,
} from './harness.js'

const T = { timeout: 60_000 }

/** Every argv on the machine, sampled until stopped: a secret must never be among them. */
function sampleArgv(): { stop(): Promise<Set<string>> } {
  const seen = new Set<string>()
  let running = true
  const loop = (async () => {
    for (let i = 0; running && i < 5_000; i++) {
      for (const e of await readdir('/proc').catch(() => [] as string[])) {
        if (!/^\d+$/.test(e)) continue
        const argv = await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '')
        if (argv) seen.add(argv)
      }
      await new Promise((r) => setTimeout(r, 5))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return seen
    },
  }
}

function assertNotIn(haystacks: Iterable<string>, secrets: string[], where: string): void {
  for (const h of haystacks) {
    for (const s of secrets) assert.ok(!h.includes(s), `a secret (${s.slice(0, 6)}…) appeared in ${where}`)
  }
}

describe('hand-off login over real ssh', () => {
  let server: AuthServer
  let sshd: Sshd
  let laptop: Sandbox
  let wrapperDir: string
  let laptopRefresh: string
  const timings: string[] = []

  before(async () => {
    ;[server, sshd] = await Promise.all([startAuthServer({ deviceInterval: 1 }), startSshd()])
    // "authkeep installed on the remote": a wrapper that runs this repo's build with node.
    wrapperDir = join(sshd.dir, 'bin')
    await mkdir(wrapperDir, { recursive: true })
    await writeFile(join(wrapperDir, 'authkeep'), `#!/bin/sh\nexec ${process.execPath} ${BIN} "$@"\n`)
    await chmod(wrapperDir, 0o755)
    await chmod(join(wrapperDir, 'authkeep'), 0o755)
    laptop = await sandbox({ AUTHKEEP_SSH: `ssh -F ${sshd.sshConfigFile}` })
    await addProfile(server, laptop.env)
    const r = await deviceLogin(laptop.env, (url) => approveWithHttp(url))
    assert.equal(r.code, 0, r.stderr)
    laptopRefresh = (await laptop.readRecord('test')).refresh_token as string
  })

  after(async () => {
    await Promise.all([sshd?.close(), server?.close(), laptop?.cleanup()])
    process.stderr.write(`hand-off timings: ${timings.join(', ')}\n`)
  })

  const remoteHome = (name: string) => join(sshd.home, name)
  const remoteRecord = (name: string) => join(remoteHome(name), 'state', 'credentials', 'test.json')

  /** `login --for` driven with the paste flow on the laptop; returns the CLI's stderr and argv samples. */
  async function loginFor(): Promise<{ stderr: string; argv: Set<string> }> {
    const child = spawnCli(
      ['login', '--for', sshd.alias, '--profile', 'test', '--method', 'paste'],
      laptop.env,
    )
    const [, url] = await waitForStderr(child, AUTHORIZE_URL)
    const { redirectedTo } = await approveWithHttp(url as string)
    const sampler = sampleArgv()
    const started = Date.now()
    child.stdin?.end(`${redirectedTo}\n`)
    const r = await child.output
    timings.push(`--for delivery ${Date.now() - started} ms`)
    const argv = await sampler.stop()
    assert.equal(r.code, 0, r.stderr)
    // The sampler did see the delivery: the remote writer's command line (which holds no secret).
    assert.ok(
      [...argv].some((a) => a.includes('authkeep-handoff')),
      'the argv sampler missed the delivery',
    )
    return { stderr: r.stderr, argv }
  }

  /** The remote's own `authkeep token`, run over ssh as the test user; the server must accept it. */
  async function remoteTokenWorks(): Promise<string> {
    const r = await sshd.ssh(`${wrapperDir}/authkeep token --profile test`)
    assert.equal(r.code, 0, r.stderr)
    const token = r.stdout.trim()
    assert.equal((await server.userinfo(token)).status, 200, 'the server refused the remote token')
    return token
  }

  async function checkDelivered(home: string, argv: Set<string>): Promise<void> {
    const file = remoteRecord(home)
    const st = await stat(file)
    assert.equal(st.mode & 0o777, 0o600, 'the remote credential is not 0600')
    assert.equal(st.uid, sshd.uid, 'the remote credential belongs to someone else')
    const record = JSON.parse(await readFile(file, 'utf8'))
    const secrets = [record.access_token, record.refresh_token].filter(Boolean) as string[]
    assert.equal(secrets.length, 2)
    assertNotIn(argv, secrets, 'a process argv during delivery')
    // A new grant, not a copy of the laptop's; the laptop's own record is untouched.
    assert.notEqual(record.refresh_token, laptopRefresh)
    assert.equal((await laptop.readRecord('test')).refresh_token, laptopRefresh)
    await remoteTokenWorks()
    const histories = ['.bash_history', '.sh_history', '.ash_history', '.zsh_history'].map((f) =>
      readFile(join(sshd.home, f), 'utf8').catch(() => ''),
    )
    assertNotIn(await Promise.all(histories), secrets, 'the remote shell history')
  }

  test('login --for, remote without authkeep: the sh writer stores it 0600', T, async () => {
    await sshd.setSessionEnv({ AUTHKEEP_HOME: remoteHome('ak-sh'), PATH: '/usr/bin:/bin' })
    const { stderr, argv } = await loginFor()
    assert.match(stderr, /wrote .*test\.json \(0600\) with sh/)
    assert.match(stderr, /wrote the profile settings/)
    await checkDelivered('ak-sh', argv)
  })

  test('login --for, remote with authkeep: it receives through its own store', T, async () => {
    await sshd.setSessionEnv({ AUTHKEEP_HOME: remoteHome('ak'), PATH: `${wrapperDir}:/usr/bin:/bin` })
    const { stderr, argv } = await loginFor()
    assert.match(stderr, /Received a login for profile "test"/)
    assert.match(stderr, /Added profile "test"/)
    await checkDelivered('ak', argv)
  })

  test('login --method handoff on the remote, completed on the laptop', T, async () => {
    // The remote already knows the profile (from the previous test's delivery); it logs in afresh.
    await sshd.setSessionEnv({ AUTHKEEP_HOME: remoteHome('ak'), PATH: `${wrapperDir}:/usr/bin:/bin` })
    const before = JSON.parse(await readFile(remoteRecord('ak'), 'utf8'))
    const started = Date.now()
    const remote = spawn('ssh', [
      ...sshd.sshArgs,
      sshd.target,
      'authkeep login --profile test --method handoff --timeout 60',
    ])
    let remoteErr = ''
    remote.stderr.on('data', (d) => {
      remoteErr += d
    })
    const remoteDone = new Promise<number | null>((resolve) => remote.on('close', resolve))
    const killer = setTimeout(() => remote.kill('SIGKILL'), 50_000)
    try {
      for (let i = 0; i < 400 && !/--complete-handoff (\S+)/.test(remoteErr); i++) {
        await new Promise((r) => setTimeout(r, 50))
      }
      const blob = /--complete-handoff (\S+)/.exec(remoteErr)?.[1]
      assert.ok(blob, `the remote printed no command:\n${remoteErr}`)
      assert.ok(!remoteErr.includes('code_verifier'), 'the verifier left the remote')

      const lap = spawnCli(['login', '--complete-handoff', blob, '--method', 'paste'], laptop.env)
      const [, url] = await waitForStderr(lap, AUTHORIZE_URL)
      const authorize = new URL(url as string)
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256')
      assert.equal(authorize.searchParams.has('code_verifier'), false)
      const { redirectedTo } = await approveWithHttp(url as string)
      const sampler = sampleArgv()
      lap.stdin?.end(`${redirectedTo}\n`)
      const l = await lap.output
      assert.equal(l.code, 0, l.stderr)
      const line = l.stdout.trim()
      assert.match(line, /^\S+#\S+$/)
      remote.stdin.end(`${line}\n`)
      const code = await remoteDone
      timings.push(`handoff round trip ${Date.now() - started} ms`)
      const argv = await sampler.stop()
      assert.equal(code, 0, remoteErr)
      assert.notEqual(
        JSON.parse(await readFile(remoteRecord('ak'), 'utf8')).refresh_token,
        before.refresh_token,
      )
      await checkDelivered('ak', argv)
    } finally {
      clearTimeout(killer)
      remote.kill()
    }
  })

  test(
    '--complete-handoff on a loopback port refuses a callback with another state and waits for the right one',
    T,
    async (t) => {
      const remote = await sandbox(t)
      await addProfile(server, remote.env)
      const half = spawnCli(['login', '--profile', 'test', '--method', 'handoff'], remote.env)
      const [, blob] = await waitForStderr(half, /--complete-handoff (\S+)/)
      const lap = spawnCli(['login', '--complete-handoff', blob as string], laptop.env)
      lap.stdin?.end()
      const [, url] = await waitForStderr(lap, AUTHORIZE_URL)
      await waitForStderr(lap, /Waiting for the browser to come back/)
      const redirect = new URL(url as string).searchParams.get('redirect_uri') as string
      const stray = await fetch(`${redirect}?code=stolen&state=forged`)
      assert.equal(stray.status, 400)
      await waitForStderr(lap, /possible CSRF\); still waiting for the right one/)
      assert.equal(lap.exitCode, null, 'the stray callback did not end the hand-off')

      await approveWithHttp(url as string, { deliver: true })
      const l = await lap.output
      assert.equal(l.code, 0, l.stderr)
      half.stdin?.end(l.stdout)
      const r = await half.output
      assert.equal(r.code, 0, r.stderr)
      const record = await remote.readRecord('test')
      assert.equal((await server.userinfo(record.access_token as string)).status, 200)
    },
  )

  test(
    "--complete-handoff refuses a blob whose URL is not the profile's own authorization endpoint and client",
    T,
    async () => {
      const good = new URL(server.endpoints.authorization)
      const query = `?state=s1&code_challenge=c1&code_challenge_method=S256&redirect_uri=${encodeURIComponent('http://127.0.0.1:45678/callback')}&response_type=code`
      const cases: Array<[string, string, RegExp]> = [
        // Another server that looks the part, for a profile this laptop has.
        [
          'test',
          `https://login.example.net/auth${query}&client_id=${server.clientId}`,
          /sends the browser to https:\/\/login\.example\.net\/auth, which is not the authorization endpoint and client of profile "test" here \(http:\/\/127\.0\.0\.1:\d+\/auth\); nothing was opened; run: authkeep profile show test$/,
        ],
        // The right server, but another client's consent.
        [
          'test',
          `${good.href}${query}&client_id=someone-elses-app`,
          /not the authorization endpoint and client of profile "test"/,
        ],
        // A profile this laptop does not have.
        [
          'nope',
          `${good.href}${query}&client_id=${server.clientId}`,
          /the hand-off is for profile "nope", which this machine does not have; nothing was opened; run: authkeep profile add nope --issuer URL --client-id ID$/,
        ],
      ]
      for (const [profile, url, message] of cases) {
        const blob = encodeRequest({ v: 1, profile, url })
        const r = await runCli(['login', '--complete-handoff', blob], laptop.env, 'anything\n')
        assert.equal(r.code, 2, r.stderr)
        assert.match(r.stderr.trim(), message)
        assert.doesNotMatch(r.stderr, /Open this URL/)
      }
    },
  )
})

describe('hand-off of a Claude Code login over real ssh', () => {
  let server: AuthServer
  let sshd: Sshd
  let laptop: Awaited<ReturnType<typeof claudeSandbox>>
  let wrapperDir: string

  before(async () => {
    ;[server, sshd] = await Promise.all([
      startAuthServer({ jsonTokenRequests: true, scopes: CLAUDE_TEST_SCOPES }),
      startSshd(),
    ])
    wrapperDir = join(sshd.dir, 'bin')
    await mkdir(wrapperDir, { recursive: true })
    await writeFile(join(wrapperDir, 'authkeep'), `#!/bin/sh\nexec ${process.execPath} ${BIN} "$@"\n`)
    await chmod(wrapperDir, 0o755)
    await chmod(join(wrapperDir, 'authkeep'), 0o755)
    laptop = await claudeSandbox(server)
    laptop.env.AUTHKEEP_SSH = `ssh -F ${sshd.sshConfigFile}`
    // The laptop names its own Claude directory in its config: a path of this machine only.
    const configFile = join(laptop.env.AUTHKEEP_HOME as string, 'config.json')
    const config = JSON.parse(await readFile(configFile, 'utf8'))
    config.profiles['claude-code'].claude_config_dir = laptop.configDir
    await writeFile(configFile, JSON.stringify(config))
    await laptop.writeCredentials({ laptopOwn: true })
  })

  after(async () => {
    await Promise.all([sshd?.close(), server?.close(), laptop?.cleanup()])
  })

  /** A directory of the remote user's, as its own Claude Code would have made it. */
  async function remoteDir(name: string): Promise<string> {
    const dir = join(sshd.home, name)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await chown(dir, sshd.uid, sshd.gid)
    return dir
  }

  async function loginFor(): Promise<string> {
    const child = spawnCli(
      ['login', '--for', sshd.alias, '--profile', 'claude-code', '--method', 'paste'],
      laptop.env,
    )
    const [, url] = await waitForStderr(child, AUTHORIZE_URL)
    const { redirectedTo } = await approveWithHttp(url as string)
    const params = new URL(redirectedTo as string).searchParams
    child.stdin?.end(`${params.get('code')}#${params.get('state')}\n`)
    const r = await child.output
    assert.equal(r.code, 0, r.stderr)
    return r.stderr
  }

  test(
    "remote without authkeep: the sh writer backs up Claude's file, keeps its other keys, and writes 0600",
    T,
    async () => {
      const claudeDir = await remoteDir('claude-sh')
      const stateHome = await remoteDir('ak-sh')
      const file = join(claudeDir, '.credentials.json')
      const old = `${JSON.stringify({
        claudeAiOauth: { accessToken: 'sk-ant-oat01-OLD', refreshToken: 'sk-ant-ort01-OLD', expiresAt: 1 },
        mcpOAuth: { 'server|1': { accessToken: 'mcp "quoted" {braces}', nested: [1, { a: 2 }] } },
        organizationUuid: 'org-1',
      })}\n`
      await writeFile(file, old, { mode: 0o600 })
      await chown(file, sshd.uid, sshd.gid)
      await sshd.setSessionEnv({
        AUTHKEEP_HOME: stateHome,
        CLAUDE_CONFIG_DIR: claudeDir,
        PATH: '/usr/bin:/bin',
      })

      const stderr = await loginFor()
      assert.match(stderr, /backed up in .*\/backups\/claude-code\/\S+-login\.json/)
      assert.match(stderr, /kept the other keys of /)
      const st = await stat(file)
      assert.equal(st.mode & 0o777, 0o600)
      assert.equal(st.uid, sshd.uid)
      const now = JSON.parse(await readFile(file, 'utf8'))
      assert.deepEqual(now.mcpOAuth, JSON.parse(old).mcpOAuth, "Claude's other keys are kept")
      assert.equal(now.organizationUuid, 'org-1')
      assert.equal((await server.userinfo(now.claudeAiOauth.accessToken)).status, 200, 'the new login works')

      // The backup is authkeep's own format, the old file byte for byte: a later authkeep can restore it.
      const backups = join(stateHome, 'state', 'backups', 'claude-code')
      const [name] = await readdir(backups)
      const backup = JSON.parse(await readFile(join(backups, name as string), 'utf8'))
      assert.equal(backup.kind, 'authkeep-backup')
      assert.equal(backup.file, file)
      assert.equal(backup.content, old)
      const listed = await sshd.ssh(`AUTHKEEP_HOME=${stateHome} ${wrapperDir}/authkeep backups --json`)
      assert.equal(listed.code, 0, listed.stderr)
      assert.match(listed.stdout, /"reason": "login"/)

      // The settings it wrote name no directory of the laptop's.
      const remoteConfig = await readFile(join(stateHome, 'config.json'), 'utf8')
      assert.ok(!remoteConfig.includes(laptop.configDir), remoteConfig)
    },
  )

  test(
    "remote with authkeep: --receive stores it in the remote's own Claude directory, never the laptop's",
    T,
    async () => {
      const claudeDir = await remoteDir('claude-recv')
      const stateHome = await remoteDir('ak-recv')
      const laptopFile = await readFile(laptop.credentials, 'utf8')
      await sshd.setSessionEnv({
        AUTHKEEP_HOME: stateHome,
        CLAUDE_CONFIG_DIR: claudeDir,
        PATH: `${wrapperDir}:/usr/bin:/bin`,
      })
      const stderr = await loginFor()
      assert.match(stderr, /Received a login for profile "claude-code"/)
      const now = JSON.parse(await readFile(join(claudeDir, '.credentials.json'), 'utf8'))
      assert.equal((await server.userinfo(now.claudeAiOauth.accessToken)).status, 200)
      const remoteConfig = JSON.parse(await readFile(join(stateHome, 'config.json'), 'utf8'))
      assert.equal(remoteConfig.profiles['claude-code'].claude_config_dir, undefined)
      assert.equal(remoteConfig.profiles['claude-code'].token_endpoint, server.endpoints.token)
      assert.equal(await readFile(laptop.credentials, 'utf8'), laptopFile, "the laptop's file is untouched")
    },
  )
})
