// Issue 10 at scale: 1000 profiles, 3 refreshers, at least 3 refresh cycles against oidc-provider with
// rotation (a reused refresh token is refused, and revokes its grant), the etcd leader killed mid-cycle.
// Exactly once: every grant was refreshed at the server as many times as generations were written.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { type EtcdCluster, startEtcdCluster } from '../bed/etcdCluster.js'
import { addEtcdAdmin, type FleetMachine, threeRefreshers } from '../bed/etcdFleet.js'
import { generations, seedProfiles } from '../bed/etcdSeed.js'
import type { Cli } from './harness.js'

const PROFILES = 1000
const CYCLES = 3
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const FLAGS = [
  '--lease-ttl',
  '6',
  '--grace',
  '6',
  '--scan-interval',
  '1',
  '--http-timeout',
  '2',
  '--concurrency',
  '8',
  '--json',
]

describe('fleet at scale', () => {
  let server: AuthServer
  let cluster: EtcdCluster
  const machines: FleetMachine[] = []
  const refreshers: Cli[] = []

  before(async () => {
    // 40 s tokens, renewed with 20 s left: a cycle every 20 s, with 20 s of slack for 1000 refreshes.
    ;[server, cluster] = await Promise.all([
      startAuthServer({ ttl: { accessToken: 40 }, storeSize: 200_000 }),
      startEtcdCluster(),
    ])
    await cluster.enableAuth()
    await addEtcdAdmin(cluster, 'admin1')
    machines.push(...(await threeRefreshers(cluster)))
  })

  after(async () => {
    for (const r of refreshers) r.kill('SIGKILL')
    await Promise.all([server?.close(), cluster?.close(), ...machines.map((m) => m.sb.cleanup())])
  })

  it(`${PROFILES} profiles × 3 refreshers × ${CYCLES} cycles: exactly one refresh per profile per cycle, the etcd leader killed mid-cycle`, async () => {
    const root = await cluster.client()
    const { grantOf } = await seedProfiles(server, root, machines[0] as FleetMachine, PROFILES)
    server.resetCounts()
    const started = Date.now()
    for (const m of machines) refreshers.push(m.spawn(['fleet', 'refresher', ...FLAGS], 600_000))
    const progress: string[] = []
    const logs = () =>
      `${refreshers.map((r) => r.stderrSoFar().slice(-3000)).join('\n')}\nprogress (s: lowest-highest generation): ${progress.slice(-40).join(' ')}`
    let killed = false
    const firstCycle: number[] = []
    for (let i = 0; ; i++) {
      const gens = [...(await generations(root)).values()]
      const min = Math.min(...gens.map((g) => g.gen))
      progress.push(
        `${Math.round((Date.now() - started) / 1000)}:${min}-${Math.max(...gens.map((g) => g.gen))}`,
      )
      assert.ok(
        gens.every((g) => g.state === 'ok'),
        `a profile needs a login:\n${logs()}\n${server.failureDetails.join('\n')}`,
      )
      if (min >= 2 && firstCycle.length === 0) firstCycle.push(Date.now() - started)
      // Mid-cycle: the second cycle has begun for some profiles and not for others.
      if (!killed && min === 2 && gens.some((g) => g.gen >= 3)) {
        const leader = await cluster.leader()
        cluster.signal(leader, 'SIGKILL')
        killed = true
        await sleep(3000)
        await cluster.restart(leader)
      }
      if (min >= 1 + CYCLES) break
      assert.ok(i < 300, `not ${CYCLES} cycles in 300 s (lowest generation ${min}):\n${logs()}`)
      await sleep(1000)
    }
    assert.ok(killed, 'the leader was killed mid-cycle')
    for (const r of refreshers) r.kill('SIGTERM')
    const counts = []
    for (const r of refreshers.splice(0)) {
      const out = await r.output
      assert.equal(out.code, 0, out.stderr.slice(-2000))
      counts.push(JSON.parse(out.stdout))
    }
    const gens = await generations(root)
    assert.equal(gens.size, PROFILES)
    const perGrant = server.refreshesByGrant
    const wrong: string[] = []
    for (const [p, { gen, state }] of gens) {
      const refreshed = perGrant.get(grantOf.get(p) as string) ?? 0
      if (state !== 'ok' || refreshed !== gen - 1)
        wrong.push(`${p}: ${refreshed} refreshes, generation ${gen}, ${state}`)
    }
    assert.deepEqual(wrong, [], 'refreshes at the server = generations written, for every profile')
    assert.equal(server.failures.invalid_grant, undefined, server.failureDetails.slice(0, 5).join('\n'))
    const total = counts.reduce((n, c) => n + c.refreshed, 0)
    assert.equal(total, server.counts.refresh_token)
    // Every refresher took a share.
    for (const c of counts) assert.ok(c.refreshed > PROFILES / 10, JSON.stringify(counts))
    process.stderr.write(
      `fleet scale: first cycle of ${PROFILES} in ${firstCycle[0]} ms; refreshers ${JSON.stringify(counts)}\n`,
    )
  })
})
