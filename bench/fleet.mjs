// The fleet's figures (issue 10), printed as JSON for bench.mjs. Run with `node --import tsx
// bench/fleet.mjs`. Real components: a 3-member etcd on loopback (TLS, certificate users), the
// oidc-provider test bed with rotation, the built CLI as refreshers and hosts.
// - cycle: PROFILES profiles, all due, 3 refreshers: wall time from their start until every one is
//   refreshed, refreshes per profile (the protocol promises 1), profiles/s over that time and from the
//   first refresh written to the last; and the same token endpoint driven directly (from this process)
//   at the same concurrency (3 × 8 in flight) with as many other grants, refreshes/s; where the CPU of
//   the cycle went, per profile: the refreshers, the etcd members, this process (the token endpoint);
//   once on loopback, once with LATENCY_MS added before the token endpoint answers (a provider far off);
// - takeover: a refresher killed while HELD refreshes of it wait at the server: time until the others
//   have resolved all of them (flagged needs-login: their refresh tokens were spent);
// - host `token` from the fleet (fresh cached token) against a local `token`, medians of alternating runs.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import * as oidc from 'openid-client'
import { startAuthServer } from '../test/bed/authServer.ts'
import { startEtcdCluster } from '../test/bed/etcdCluster.ts'
import { addEtcdAdmin, enrol, fleetMachine, threeRefreshers } from '../test/bed/etcdFleet.ts'
import { generations, seedProfiles } from '../test/bed/etcdSeed.ts'
import { BIN, sandbox } from '../test/e2e/harness.ts'

const PROFILES = Number(process.env.BENCH_FLEET_PROFILES ?? 1000)
const CONCURRENCY = 8
const REFRESHERS = 3
const RUNS = Number(process.env.BENCH_RUNS ?? 30)
const HELD = 4
/** A provider's answer time across the internet, for the second cycle. */
const LATENCY_MS = 100
const LEASE = 6
const GRACE = 6
const FLAGS = [
  '--lease-ttl',
  String(LEASE),
  '--grace',
  String(GRACE),
  '--scan-interval',
  '1',
  '--http-timeout',
  '2',
]
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
/** CPU time of a live process in ms, from /proc (utime + stime, in clock ticks of 10 ms). */
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}
const sum = (xs) => xs.reduce((a, b) => a + b, 0)
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** A fleet under `prefix` (default: the default one): an administrator and two more refreshers. */
async function fleetOf(prefix) {
  const fleet = await threeRefreshers(cluster, prefix)
  machines.push(...fleet)
  return fleet
}

/**
 * PROFILES due profiles, REFRESHERS refreshers started together: the cycle's time, how often each grant
 * was refreshed, where the CPU went; then the same endpoint driven directly at the same concurrency.
 */
async function cycle(refreshers, prefix) {
  const root = await cluster.client()
  const { grantOf } = await seedProfiles(server, root, refreshers[0], PROFILES, { prefix })
  server.resetCounts()
  const etcdPids = cluster.members.map((m) => m.pid)
  const etcdBefore = sum(etcdPids.map(cpuMs))
  const selfBefore = process.cpuUsage()
  const started = performance.now()
  const running = refreshers.map((m) =>
    m.spawn(['fleet', 'refresher', ...FLAGS, '--concurrency', String(CONCURRENCY)], 600_000),
  )
  children.push(...running)
  for (;;) {
    // The server's own count first (in memory): reading 1000 statuses from etcd every 100 ms would take
    // CPU from the token endpoint this process runs, and from etcd, and slow what is measured.
    if (server.refreshesByGrant.size < PROFILES && performance.now() - started < 600_000) {
      await sleep(100)
      continue
    }
    const gens = [...(await generations(root, prefix)).values()]
    if (gens.every((g) => g.gen >= 2)) break
    if (performance.now() - started > 600_000) throw new Error('the cycle did not finish in 10 minutes')
    await sleep(100)
  }
  const cycleMs = performance.now() - started
  const self = process.cpuUsage(selfBefore)
  const cpu = {
    refreshers: sum(running.map((c) => cpuMs(c.pid))) / PROFILES,
    etcd: (sum(etcdPids.map(cpuMs)) - etcdBefore) / PROFILES,
    server: (self.user + self.system) / 1000 / PROFILES,
  }
  // From the first refresh written to the last: the rate once the refreshers are up.
  const stamps = Object.values(await root.getAll().prefix(`${prefix}status/`).strings()).map((v) =>
    Date.parse(JSON.parse(v).refreshed_at),
  )
  const spanMs = Math.max(...stamps) - Math.min(...stamps)
  const perProfile = [...grantOf.values()].map((g) => server.refreshesByGrant.get(g) ?? 0)
  for (const c of running) {
    c.kill('SIGTERM')
    await c.output
  }
  children.splice(0)

  // The token endpoint alone, at the same number of refreshes in flight.
  const direct = await server.mintGrants(PROFILES)
  const config = new oidc.Configuration(
    { issuer: server.issuer, token_endpoint: server.endpoints.token },
    server.clientId,
    {},
    oidc.None(),
  )
  oidc.allowInsecureRequests(config)
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: REFRESHERS * CONCURRENCY }, async () => {
      for (let i = next++; i < direct.length; i = next++)
        await oidc.refreshTokenGrant(config, direct[i].refreshToken)
    }),
  )
  const directMs = performance.now() - t0
  return {
    cycleMs,
    exact: perProfile.filter((n) => n === 1).length,
    maxPerProfile: Math.max(...perProfile),
    profilesPerSecond: PROFILES / (cycleMs / 1000),
    steadyPerSecond: (PROFILES - 1) / (spanMs / 1000),
    directPerSecond: direct.length / (directMs / 1000),
    cpuPerProfileMs: cpu,
  }
}

const server = await startAuthServer({ ttl: { accessToken: 3600 }, storeSize: 200_000 })
const cluster = await startEtcdCluster()
const machines = []
const children = []
try {
  await cluster.enableAuth()
  await addEtcdAdmin(cluster, 'admin1')
  const [admin] = await fleetOf(undefined)
  const root = await cluster.client()

  // The cycle, on loopback (the endpoint answers in about a millisecond of CPU), then again with a
  // provider's latency (LATENCY_MS before the token endpoint answers, as across the internet) in a
  // fleet of its own under another prefix: where the fleet's overhead should vanish next to the provider.
  const loopback = await cycle(machines.slice(0, REFRESHERS), '/authkeep/v1/')
  const far = await fleetOf('/bench-latency/')
  server.injectFault({ fault: { kind: 'delay', ms: LATENCY_MS } })
  const latency = await cycle(far, '/bench-latency/')
  server.injectFault(null)

  // Takeover: a fleet of its own under another prefix, one refresher holding HELD spent grants.
  const prefix = '/bench-takeover/'
  const [tAdmin, ...tOthers] = await fleetOf(prefix)
  await seedProfiles(server, root, tAdmin, 40, { prefix })
  server.resetCounts()
  let release
  server.injectFault({ fault: { kind: 'held', release: new Promise((r) => (release = r)) }, times: HELD })
  const victim = tAdmin.spawn(['fleet', 'refresher', ...FLAGS, '--concurrency', String(HELD)], 120_000)
  children.push(victim)
  while ([...server.refreshesByGrant.values()].reduce((a, b) => a + b, 0) < HELD) await sleep(50)
  const killedAt = performance.now()
  victim.kill('SIGKILL')
  for (const m of tOthers) children.push(m.spawn(['fleet', 'refresher', ...FLAGS], 120_000))
  for (;;) {
    const gens = [...(await generations(root, prefix)).values()]
    if (gens.filter((g) => g.state === 'needs_login').length >= HELD) break
    if (performance.now() - killedAt > 120_000) throw new Error('no takeover in 2 minutes')
    await sleep(100)
  }
  const takeoverMs = performance.now() - killedAt
  release()

  // A host's `token` (fresh cached token) against a local one.
  const host = await fleetMachine(cluster, 'host1', { profiles: ['p0000'] })
  machines.push(host)
  await enrol(admin, host, { profiles: ['p0000'] })
  const warm = await host.run(['token', '--profile', 'p0000'])
  if (warm.code !== 0) throw new Error(`fleet token failed: ${warm.stderr}`)
  const local = await sandbox()
  machines.push({ sb: local })
  const { mkdirSync, writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  mkdirSync(join(local.env.AUTHKEEP_HOME, 'state', 'credentials'), { recursive: true, mode: 0o700 })
  writeFileSync(
    join(local.env.AUTHKEEP_HOME, 'config.json'),
    JSON.stringify({
      version: 1,
      profiles: {
        p0000: { token_endpoint: 'https://auth.invalid/token', client_id: 'bench', store: 'file' },
      },
    }),
  )
  const now = new Date().toISOString()
  writeFileSync(
    join(local.env.AUTHKEEP_HOME, 'state', 'credentials', 'p0000.json'),
    JSON.stringify({
      version: 1,
      profile: 'p0000',
      state: 'active',
      secrets_in: 'file',
      access_token: 'bench-token-0123456789',
      expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      obtained_at: now,
      updated_at: now,
      host: 'bench',
    }),
    { mode: 0o600 },
  )
  const run = (env) => {
    const t = performance.now()
    const r = spawnSync(process.execPath, [BIN, 'token', '--profile', 'p0000'], { env })
    if (r.status !== 0) throw new Error(`token exited ${r.status}: ${r.stderr}`)
    return performance.now() - t
  }
  for (let i = 0; i < 3; i++) {
    run(host.env)
    run(local.env)
  }
  const fleetRuns = []
  const localRuns = []
  for (let i = 0; i < RUNS; i++) {
    fleetRuns.push(run(host.env))
    localRuns.push(run(local.env))
  }
  console.log(
    JSON.stringify({
      profiles: PROFILES,
      refreshers: REFRESHERS,
      concurrency: CONCURRENCY,
      ...loopback,
      latency: { ms: LATENCY_MS, ...latency },
      takeoverMs,
      lease: LEASE,
      grace: GRACE,
      hostTokenMs: median(fleetRuns),
      localTokenMs: median(localRuns),
      runs: RUNS,
    }),
  )
} finally {
  for (const c of children) c.kill('SIGKILL')
  await Promise.all([server.close(), cluster.close(), ...machines.map((m) => m.sb.cleanup())])
}
