// Issue 10: the real Claude Code on a fleet host, across access-token expiries, with no refresh token on
// that host. The mechanism: `authkeep exec` hands Claude the fleet's current access token in
// CLAUDE_CODE_OAUTH_TOKEN at each start. authkeep runs on the host (it reaches etcd there); Claude runs
// inside the harness's loopback-only namespace, where its API is the fake one that records what it sent.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import {
  CLAUDE_BIN,
  claudeSandbox,
  inferenceRequests,
  requireClaudeBin,
  tokenRequests,
} from '../bed/claude/claudeHarness.js'
import { nsenterArgv, requireNetnsTools } from '../bed/claude/netns.js'
import { type EtcdCluster, startEtcdCluster } from '../bed/etcdCluster.js'
import { addEtcdAdmin, enrol, type FleetMachine, fleetMachine } from '../bed/etcdFleet.js'
import { filesUnder } from '../bed/files.js'
import {
  BIN,
  CLAUDE_TEST_SCOPES,
  type Cli,
  pasteLoginClaude,
  pointClaudeProfileAt,
  runCli,
} from './harness.js'

const TTL = 20
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let server: AuthServer
let cluster: EtcdCluster
const machines: FleetMachine[] = []
const children: Cli[] = []

before(async () => {
  requireClaudeBin()
  ;[server, cluster] = await Promise.all([
    startAuthServer({ jsonTokenRequests: true, ttl: { accessToken: TTL }, scopes: CLAUDE_TEST_SCOPES }),
    startEtcdCluster(),
  ])
  await cluster.enableAuth()
  await addEtcdAdmin(cluster, 'admin1')
})

after(async () => {
  for (const c of children) c.kill('SIGKILL')
  await Promise.all([server?.close(), cluster?.close(), ...machines.map((m) => m.sb.cleanup())])
})

test('real Claude Code on a fleet host works across two access-token expiries, with no refresh token there', async () => {
  // The administrator logs Claude's profile in as anywhere else, and pushes it into the fleet.
  const admin = await fleetMachine(cluster, 'admin1', { create: true })
  machines.push(admin)
  // The claude-code profile pointed at the local server, beside the fleet section `fleet init` wrote.
  const configFile = join(admin.env.AUTHKEEP_HOME as string, 'config.json')
  const fleetConfig = JSON.parse(await readFile(configFile, 'utf8'))
  await pointClaudeProfileAt(server, admin.env.AUTHKEEP_HOME as string)
  const pointed = JSON.parse(await readFile(configFile, 'utf8'))
  await writeFile(configFile, JSON.stringify({ ...pointed, fleet: fleetConfig.fleet }))
  await pasteLoginClaude(admin.env)
  const pushed = await admin.run(['fleet', 'push', '--profile', 'claude-code'])
  assert.equal(pushed.code, 0, pushed.stderr)
  // Neither Claude's file nor a backup of it keeps the refresh token now in the fleet.
  for (const f of await filesUnder(admin.sb.dir))
    assert.doesNotMatch(await readFile(f, 'utf8'), /refresh_?[tT]oken\\*"\s*:\s*\\*"[^"\\]/, f)
  const refresher = admin.spawn(
    ['fleet', 'refresher', '--lease-ttl', '6', '--grace', '6', '--scan-interval', '1', '--http-timeout', '2'],
    180_000,
  )
  children.push(refresher)

  // The host: enrolled for claude-code only; Claude itself lives in the harness's sandbox.
  const host = await fleetMachine(cluster, 'vps1', { profiles: ['claude-code'] })
  machines.push(host)
  await enrol(admin, host, { profiles: ['claude-code'] })
  const cs = await claudeSandbox()
  try {
    const tools = requireNetnsTools()
    const env = { ...cs.baseEnv, AUTHKEEP_HOME: host.env.AUTHKEEP_HOME as string }
    const claudeOnce = async () => {
      const before = (await cs.requests()).length
      const argv = [
        process.execPath,
        BIN,
        'exec',
        '--profile',
        'claude-code',
        '--',
        ...nsenterArgv(tools, cs.netnsPid, [CLAUDE_BIN, '-p', 'ping']),
      ]
      const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(argv[0] as string, argv.slice(1), {
          env,
          cwd: cs.projectDir,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let out = ''
        child.stdout.on('data', (d) => {
          out += d
        })
        child.stderr.on('data', (d) => {
          out += d
        })
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
        child.on('close', (code) => {
          clearTimeout(timer)
          resolve({ code, out })
        })
      })
      assert.equal(result.code, 0, `${result.out}\n${refresher.stderrSoFar()}`)
      const sent = inferenceRequests((await cs.requests()).slice(before))
      assert.ok(sent.length > 0, 'Claude reached its API')
      const bearers = [...new Set(sent.map((q) => q.authorization))]
      assert.equal(bearers.length, 1, JSON.stringify(bearers))
      return (bearers[0] as string).replace(/^Bearer /, '')
    }
    const used: string[] = []
    const started = Date.now()
    // Runs spread over 2.5 token lifetimes: each start gets the token the fleet holds then.
    while (Date.now() - started < 2.5 * TTL * 1000) {
      const token = await claudeOnce()
      assert.equal((await server.userinfo(token)).status, 200, 'the server accepts the token Claude sent')
      used.push(token)
      await sleep(6000)
    }
    const distinct = new Set(used)
    assert.ok(
      distinct.size >= 3,
      `${distinct.size} access tokens over ${used.length} runs: two expiries crossed`,
    )
    // Claude never refreshed (it had nothing to refresh with), and no file on the host holds a refresh token.
    assert.deepEqual(tokenRequests(await cs.requests()), [])
    for (const f of [...(await filesUnder(host.sb.dir)), ...(await filesUnder(cs.configDir))]) {
      assert.doesNotMatch(await readFile(f, 'utf8'), /refresh_?[tT]oken"\s*:\s*"[^"]/, f)
    }
    // On the host, status and doctor see the fleet profile.
    const status = await runCli(['status', '--profile', 'claude-code', '--json'], env)
    assert.equal(status.code, 0, status.stderr)
    assert.equal(JSON.parse(status.stdout).profiles[0].refresh_token, false)
  } finally {
    await cs.cleanup()
  }
})
