// Issue 10, the fleet: one login in etcd, refreshed by the fleet's refreshers, served to enrolled hosts
// that never hold a refresh token. Real etcd (3 members, TLS, users and roles), the oidc-provider test
// bed, the built CLI on every machine.
import assert from 'node:assert/strict'
import { copyFile, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { type EtcdCluster, startEtcdCluster } from '../bed/etcdCluster.js'
import { addEtcdAdmin, enrol, type FleetMachine, fleetMachine } from '../bed/etcdFleet.js'
import { ensureExe } from '../bed/exe.js'
import { filesUnder } from '../bed/files.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { addProfile, assertNoSecrets, type Cli, deviceLogin, spawnCli, waitForStderr } from './harness.js'

const REFRESHER_FLAGS = ['--lease-ttl', '6', '--grace', '4', '--scan-interval', '1', '--http-timeout', '2']
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('fleet: one login, many hosts, no refresh token on a host', () => {
  let server: AuthServer
  let cluster: EtcdCluster
  let admin: FleetMachine
  let r2: FleetMachine
  const hosts: FleetMachine[] = []
  const refreshers: Cli[] = []

  before(async () => {
    // Access tokens of 8 s: a refresher renews each with 4 s left, so 20 s cross two expiries.
    ;[server, cluster] = await Promise.all([
      startAuthServer({ deviceInterval: 1, ttl: { accessToken: 8 } }),
      startEtcdCluster(),
    ])
    await cluster.enableAuth()
    await addEtcdAdmin(cluster, 'admin1')
    admin = await fleetMachine(cluster, 'admin1', { create: true })
    for (const p of ['test', 'other']) {
      await addProfile(server, admin.env, p)
      const login = await deviceLogin(admin.env, (u) => approveWithHttp(u), p)
      assert.equal(login.code, 0, login.stderr)
    }
    r2 = await fleetMachine(cluster, 'r2')
    await enrol(admin, r2, { refresher: true })
    for (let i = 0; i < 8; i++) hosts.push(await fleetMachine(cluster, `host${i}`, { profiles: ['test'] }))
  })

  after(async () => {
    for (const r of refreshers) r.kill('SIGKILL')
    await Promise.all([
      server?.close(),
      cluster?.close(),
      admin?.sb.cleanup(),
      r2?.sb.cleanup(),
      ...hosts.map((h) => h.sb.cleanup()),
    ])
  })

  it('push moves the login into the fleet and leaves no refresh token behind', async () => {
    const recordFile = admin.sb.recordFile('test')
    assert.match(await readFile(recordFile, 'utf8'), /refresh_token/)
    const pushed = await admin.run(['fleet', 'push', '--profile', 'test'])
    assert.equal(pushed.code, 0, pushed.stderr)
    await assert.rejects(stat(recordFile), /ENOENT/)
    assert.equal((await admin.run(['fleet', 'push', '--profile', 'other'])).code, 0)
    // etcd holds only ciphertext: no token-shaped JSON anywhere under the prefix.
    const root = await cluster.client()
    const all = (await root.getAll().prefix('/authkeep/v1/').strings()) as Record<string, string>
    for (const [key, value] of Object.entries(all)) {
      if (/\/(grant|tok|keys|gk)\//.test(key)) assert.match(value, /^(v1\.|[A-Za-z0-9_-]{43}~v1\.)/, key)
      assert.doesNotMatch(value, /"(refresh|access)_token":/, key)
    }
  })

  it('8 hosts get a token the server accepts through two expiries, each refreshed exactly once', async () => {
    for (const h of hosts) await enrol(admin, h, { profiles: ['test'] })
    // A host enrolled for another profile only, for the permission test below.
    const other = await fleetMachine(cluster, 'hostB', { profiles: ['other', 'test'] })
    hosts.push(other)
    await enrol(admin, other, { profiles: ['other'] })
    server.resetCounts()
    for (const m of [admin, r2]) {
      const child = m.spawn(['fleet', 'refresher', ...REFRESHER_FLAGS], 120_000)
      refreshers.push(child)
      await waitForStderr(child, /refreshing the fleet/)
    }
    // The pushed tokens have expired by now: the first scan renews them.
    const logs = () => refreshers.map((r) => r.stderrSoFar()).join('\n')
    for (let i = 0; ; i++) {
      const s = JSON.parse((await admin.run(['fleet', 'status', '--json'])).stdout)
      if (s.profiles.every((p: { gen: number }) => p.gen >= 2)) break
      assert.ok(i < 30, `no refresh within 30 s:\n${logs()}`)
      await sleep(1000)
    }
    const seen = new Set<string>()
    const started = Date.now()
    for (let round = 0; Date.now() - started < 20_000; round++) {
      const results = await Promise.all(hosts.slice(0, 8).map((h) => h.run(['token', '--profile', 'test'])))
      for (const [i, r] of results.entries()) {
        assert.equal(r.code, 0, `host${i} round ${round}: ${r.stderr}\n${logs()}`)
        const token = r.stdout.trim()
        const check = await server.userinfo(token)
        assert.equal(check.status, 200, `host${i} round ${round}: the server refused the token`)
        seen.add(token)
      }
      await sleep(1000)
    }
    assert.ok(seen.size >= 3, `tokens seen across 20 s of 8 s tokens: ${seen.size}`)
    // Exactly once: every refresh the server answered became one generation in etcd; none was refused.
    const status = JSON.parse((await admin.run(['fleet', 'status', '--json'])).stdout)
    const test = status.profiles.find((p: { profile: string }) => p.profile === 'test')
    assert.equal(test.state, 'ok')
    assert.equal(server.failures.invalid_grant, undefined, server.failureDetails.join('\n'))
    const refreshesOfTest = server.counts.refresh_token
    const otherGen = status.profiles.find((p: { profile: string }) => p.profile === 'other').gen
    assert.equal(
      refreshesOfTest,
      test.gen - 1 + (otherGen - 1),
      'refreshes at the server = generations written',
    )
    assert.deepEqual(
      status.refreshers.map((r: { name: string; alive: boolean }) => [r.name, r.alive]),
      [
        ['admin1', true],
        ['r2', true],
      ],
    )
    assert.equal(
      status.refreshers.reduce((n: number, r: { share: number }) => n + r.share, 0),
      2,
    )
    // No access token in the refreshers' logs or in `fleet status --json`; the hosts' caches are 0600.
    assertNoSecrets([logs(), JSON.stringify(status)], [...seen])
    for (const h of hosts.slice(0, 8)) assert.equal((await stat(h.sb.recordFile('test'))).mode & 0o777, 0o600)
    // No host holds a refresh token, in any file.
    for (const h of hosts) {
      for (const f of await filesUnder(h.sb.dir))
        assert.doesNotMatch(await readFile(f, 'utf8'), /refresh_token/, f)
    }
    // status, exec and doctor on a host use the fleet profile like any other.
    const st = await hosts[0]?.run(['status', '--profile', 'test', '--json'])
    assert.equal(st?.code, 0, st?.stderr)
    const entry = JSON.parse(st?.stdout ?? '{}').profiles[0]
    assert.equal(entry.refresh_token, false)
    assert.equal(entry.state, 'valid')
    assert.match(entry.stored_in, /^fleet \(access token cached in .*; no refresh token on this machine\)$/)
    // A host's only profile is its fleet profile: plain `token` and `status` take it.
    const plain = await hosts[4]?.run(['token'])
    assert.equal(plain?.code, 0, plain?.stderr)
    assert.equal((await server.userinfo(plain?.stdout.trim() ?? '')).status, 200)
    const all = JSON.parse((await hosts[4]?.run(['status', '--json']))?.stdout ?? '{}')
    assert.deepEqual(
      all.profiles.map((p: { profile: string }) => p.profile),
      ['test'],
    )
    const helper = await hosts[2]?.run(['claude', 'helper', '--profile', 'test'])
    assert.equal(helper?.code, 0, helper?.stderr)
    assert.equal((await server.userinfo(helper?.stdout.trim() ?? '')).status, 200)
    const doctor = await hosts[3]?.run(['doctor', '--profile', 'test', '--json'])
    const findings = JSON.parse(doctor?.stdout ?? '{}').findings ?? []
    assert.deepEqual(
      findings.filter((f: { severity: string }) => f.severity === 'error'),
      [],
      doctor?.stdout,
    )
    const ex = await hosts[1]?.run([
      'exec',
      '--profile',
      'test',
      '--',
      'sh',
      '-c',
      'test -n "$AUTHKEEP_ACCESS_TOKEN" && echo injected',
    ])
    assert.equal(ex?.stdout.trim(), 'injected', ex?.stderr)
  })

  it('a host running the single executable, with no node_modules near it, gets its token from etcd', async () => {
    const m = await fleetMachine(cluster, 'hostExe', { profiles: ['test'] })
    hosts.push(m)
    await enrol(admin, m, { profiles: ['test'] })
    const exe = join(m.sb.dir, 'authkeep-linux')
    await copyFile(ensureExe(), exe)
    // A first call on this host: nothing cached, so the executable's own etcd client asks etcd.
    const child = spawnCli(['token', '--profile', 'test'], m.env, 60_000, [exe])
    child.stdin?.end()
    const r = await child.output
    assert.equal(r.code, 0, r.stderr)
    assert.equal((await server.userinfo(r.stdout.trim())).status, 200)
    assert.doesNotMatch(await readFile(m.sb.recordFile('test'), 'utf8'), /refresh_token/)
  })

  it("etcd lets a host read only its own profiles' access tokens, and no refresh token", async () => {
    const host0 = await cluster.client('host0')
    const denied = /permission denied/i
    await assert.rejects(host0.get('/authkeep/v1/grant/test').string(), denied)
    await assert.rejects(host0.get('/authkeep/v1/tok/other').string(), denied)
    await assert.rejects(host0.get('/authkeep/v1/keys/other/hostB').string(), denied)
    await assert.rejects(host0.get('/authkeep/v1/keys/test/host1').string(), denied)
    await assert.rejects(host0.get('/authkeep/v1/gk/admin1').string(), denied)
    await assert.rejects(host0.getAll().prefix('/authkeep/v1/tok/').strings(), denied)
    await assert.rejects(host0.put('/authkeep/v1/tok/test').value('x').exec(), denied)
    assert.match((await host0.get('/authkeep/v1/tok/test').string()) ?? '', /^v1\./)
    // A host is no administrator: the fleet's status is denied it, in one line naming what it may do.
    const hostStatus = await (hosts[0] as FleetMachine).run(['fleet', 'status'])
    assert.equal(hostStatus.code, 1, hostStatus.stderr)
    assert.match(
      hostStatus.stderr,
      /^authkeep: etcd denied machine "host0" the right to read the fleet status: a host reads only its own profiles' tokens, and only refreshers do more; run: authkeep fleet host add host0 /,
    )
    // hostB serves "test" in its config but was enrolled for "other" only: told how to enrol.
    const hostB = hosts[8] as FleetMachine
    const r = await hostB.run(['token', '--profile', 'test'])
    assert.equal(r.code, 1, r.stderr)
    assert.match(
      r.stderr,
      /machine "hostB" is not enrolled for fleet profile "test"; run: authkeep fleet host add hostB --public-key \S{43} --profile test/,
    )
    assert.equal((await hostB.run(['token', '--profile', 'other'])).code, 0)
  })

  it('bad input and faults: one line, the documented exit code, the next command', async () => {
    const host0 = hosts[0] as FleetMachine
    // Usage errors (2).
    const badName = await admin.run(['fleet', 'host', 'add', 'bad/name', '--public-key', host0.publicKey])
    assert.equal(badName.code, 2, badName.stderr)
    assert.match(badName.stderr, /^authkeep: machine "bad\/name" is not a machine name .*; run: /m)
    const badKey = await admin.run(['fleet', 'host', 'add', 'hostZ', '--public-key', 'nope'])
    assert.equal(badKey.code, 2, badKey.stderr)
    assert.match(badKey.stderr, /--public-key is not an authkeep fleet public key/)
    const plain = await admin.run(['fleet', 'init', '--endpoints', 'http://10.1.2.3:2379', '--name', 'x'])
    assert.equal(plain.code, 2, plain.stderr)
    assert.match(plain.stderr, /uses plain http:\/\/ to another machine/)
    // The refresher as a systemd user service, with its options; systemd-analyze accepts the unit.
    const unit = await admin.run([
      'fleet',
      'refresher',
      '--print-unit',
      '--concurrency',
      '4',
      '--notify-command',
      'logger x',
    ])
    assert.equal(unit.code, 0, unit.stderr)
    assert.match(
      unit.stdout,
      /^ExecStart=".*" "fleet" "refresher" "--concurrency" "4" .*"--notify-command" "logger x"$/m,
    )
    assert.match(unit.stdout, /^Environment="AUTHKEEP_HOME=.*"$/m)
    const { mkdir, writeFile: write } = await import('node:fs/promises')
    const { spawnSync } = await import('node:child_process')
    const unitFile = join(admin.sb.dir, 'authkeep-fleet-refresher.service')
    await write(unitFile, unit.stdout)
    const runtime = join(admin.sb.dir, 'runtime')
    await mkdir(runtime, { mode: 0o700 })
    const verify = spawnSync('systemd-analyze', ['--user', 'verify', unitFile], {
      env: { ...admin.env, XDG_RUNTIME_DIR: runtime },
      encoding: 'utf8',
    })
    assert.equal(verify.status, 0, verify.stderr)
    const shortLease = await admin.run([
      'fleet',
      'refresher',
      '--once',
      '--lease-ttl',
      '3',
      '--http-timeout',
      '10',
    ])
    assert.equal(shortLease.code, 2, shortLease.stderr)

    // A certificate from another CA: refused by etcd, named (1).
    const { makeEtcdCa } = await import('../bed/etcdCerts.js')
    const { mkdtemp } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const foreign = await (await makeEtcdCa(await mkdtemp(join(tmpdir(), 'authkeep-foreign-ca-')))).client(
      'evil',
    )
    const evil = await fleetMachine(cluster, 'evil', { profiles: ['test'] })
    hosts.push(evil)
    const config = JSON.parse(await readFile(join(evil.env.AUTHKEEP_HOME as string, 'config.json'), 'utf8'))
    config.fleet.cert_file = foreign.certFile
    config.fleet.key_file = foreign.keyFile
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(evil.env.AUTHKEEP_HOME as string, 'config.json'), JSON.stringify(config))
    const refused = await evil.run(['token', '--profile', 'test'])
    assert.equal(refused.code, 1, refused.stderr)
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr)
    assert.ok(refused.stderr.includes(foreign.certFile), refused.stderr)
    // A file that is no certificate at all.
    config.fleet.cert_file = join(evil.env.AUTHKEEP_HOME as string, 'config.json')
    await writeFile(join(evil.env.AUTHKEEP_HOME as string, 'config.json'), JSON.stringify(config))
    const notPem = await evil.run(['token', '--profile', 'test'])
    assert.equal(notPem.code, 1, notPem.stderr)
    assert.match(
      notPem.stderr,
      /config\.json: the fleet's client certificate is not a PEM client certificate; run: /,
    )

    // etcd unreachable: a token still valid is served from the cache, then exit 6 once it expires.
    const first = await host0.run(['token', '--profile', 'test'])
    assert.equal(first.code, 0, first.stderr)
    const host0Config = join(host0.env.AUTHKEEP_HOME as string, 'config.json')
    const saved = await readFile(host0Config, 'utf8')
    const { freePort } = await import('./harness.js')
    const dead = JSON.parse(saved)
    dead.fleet.endpoints = [`https://localhost:${await freePort()}`]
    await writeFile(host0Config, JSON.stringify(dead))
    // The cached token as it is in its last minute (a host asks etcd then), and then once it expired.
    const cacheFile = host0.sb.recordFile('test')
    const cached = JSON.parse(await readFile(cacheFile, 'utf8'))
    const at = (ms: number) => new Date(Date.now() + ms).toISOString()
    await writeFile(
      cacheFile,
      JSON.stringify({ ...cached, obtained_at: at(-3600_000), expires_at: at(30_000) }),
    )
    const cachedRun = await host0.run(['token', '--profile', 'test'])
    assert.equal(cachedRun.code, 0, cachedRun.stderr)
    assert.equal(cachedRun.stdout, first.stdout)
    assert.match(cachedRun.stderr, /could not be reached.*serving the cached token, valid until/)
    await writeFile(
      cacheFile,
      JSON.stringify({ ...cached, obtained_at: at(-3600_000), expires_at: at(-1000) }),
    )
    const down = await host0.run(['token', '--profile', 'test'])
    assert.equal(down.code, 6, down.stderr)
    assert.match(
      down.stderr,
      /^authkeep: etcd at https:\/\/localhost:\d+ could not be reached or has no quorum, so machine "host0" could not read the token of profile "test"; run: authkeep fleet status\n$/,
    )
    await writeFile(host0Config, saved)

    // The refreshers stop on SIGTERM, exit 0, and leave the fleet (their presence goes with their lease).
    for (const r of refreshers) r.kill('SIGTERM')
    for (const r of refreshers.splice(0)) assert.equal((await r.output).code, 0)
    const after = JSON.parse((await admin.run(['fleet', 'status', '--json'])).stdout)
    assert.deepEqual(
      after.refreshers.map((r: { alive: boolean }) => r.alive),
      [false, false],
    )

    // A value that does not decrypt: exit 3 naming the etcd key.
    const root = await cluster.client()
    const tokKey = '/authkeep/v1/tok/test'
    const good = await root.get(tokKey).string()
    await root.put(tokKey).value(`${good?.slice(0, -8)}AAAAAAAA`)
    await writeFile(
      cacheFile,
      JSON.stringify({ ...cached, obtained_at: at(-3600_000), expires_at: at(-1000) }),
    )
    const corrupt = await host0.run(['token', '--profile', 'test'])
    assert.equal(corrupt.code, 3, corrupt.stderr)
    assert.match(
      corrupt.stderr,
      /^authkeep: etcd key \/authkeep\/v1\/tok\/test: does not decrypt with this key; run: /,
    )
    const doctor = await host0.run(['doctor', '--profile', 'test', '--json'])
    assert.equal(doctor.code, 8, doctor.stdout)
    const fleetFinding = JSON.parse(doctor.stdout).findings.find(
      (f: { id: string }) => f.id === 'fleet.login',
    )
    assert.match(fleetFinding?.found ?? '', /tok\/test: does not decrypt/)
    await root.put(tokKey).value(good ?? '')
  })

  it('host remove: etcd forgets the machine, its profiles get new keys, the others keep being served', async () => {
    const gone = hosts[7] as FleetMachine
    const stays = hosts[6] as FleetMachine
    const root = await cluster.client()
    const keyBefore = await root.get('/authkeep/v1/keys/test/host6').string()
    const removed = await admin.run(['fleet', 'host', 'remove', 'host7'])
    assert.equal(removed.code, 0, removed.stderr)
    assert.match(removed.stderr, /removed "host7"; new keys for test/)
    assert.equal(await root.get('/authkeep/v1/keys/test/host7').string(), null)
    assert.notEqual(await root.get('/authkeep/v1/keys/test/host6').string(), keyBefore, 'rewrapped')
    const list = JSON.parse((await admin.run(['fleet', 'host', 'list', '--json'])).stdout)
    assert.ok(!list.some((h: { name: string }) => h.name === 'host7'))
    // Its cache aside, the removed machine gets nothing from etcd any more.
    const cache = gone.sb.recordFile('test')
    const { rm } = await import('node:fs/promises')
    await rm(cache, { force: true })
    const refused = await gone.run(['token', '--profile', 'test'])
    assert.equal(refused.code, 1, refused.stderr)
    await rm(stays.sb.recordFile('test'), { force: true })
    // The refreshers were stopped above: one pass renews what is due, sealed with the new key.
    const once = await admin.run(['fleet', 'refresher', '--once', '--json'])
    assert.equal(once.code, 0, once.stderr)
    const served = await stays.run(['token', '--profile', 'test'])
    assert.equal(served.code, 0, served.stderr)
  })
})
