// Machines of a fleet for the end-to-end tests: each one a sandbox (its own HOME and AUTHKEEP_HOME)
// joined to the test etcd cluster with its own client certificate (CN = its name, its etcd user).
import { type Cli, type Result, runCli, type Sandbox, sandbox, spawnCli } from '../e2e/harness.js'
import type { EtcdCluster } from './etcdCluster.js'
export interface FleetMachine {
  name: string
  sb: Sandbox
  env: Record<string, string>
  publicKey: string
  run(args: string[]): Promise<Result>
  spawn(args: string[], timeoutMs?: number): Cli
}

/** An etcd user with the root role: the administrator that creates the fleet and enrols machines. */
export async function addEtcdAdmin(cluster: EtcdCluster, name: string): Promise<void> {
  const root = await cluster.client()
  await root.user(name).create(`unused-${Math.random()}`)
  await root.user(name).addRole('root')
}

export async function fleetMachine(
  cluster: EtcdCluster,
  name: string,
  opts: { profiles?: string[]; create?: boolean; prefix?: string } = {},
): Promise<FleetMachine> {
  const sb = await sandbox()
  const cert = await cluster.cert(name)
  const args = [
    ...['fleet', 'init', '--endpoints', cluster.endpoints.join(','), '--name', name],
    ...['--ca', cert.caFile, '--cert', cert.certFile, '--key', cert.keyFile],
    ...(opts.prefix ? ['--prefix', opts.prefix] : []),
    ...(opts.profiles ?? []).flatMap((p) => ['--profile', p]),
    ...(opts.create ? ['--create'] : []),
  ]
  const r = await runCli(args, sb.env)
  if (r.code !== 0) throw new Error(`fleet init of ${name} failed (${r.code}): ${r.stderr}`)
  return {
    name,
    sb,
    env: sb.env,
    publicKey: r.stdout.trim(),
    run: (a) => runCli(a, sb.env),
    spawn: (a, timeoutMs) => {
      const child = spawnCli(a, sb.env, timeoutMs)
      child.stdin?.end()
      return child
    },
  }
}

/** Enrols `machine` through the admin's CLI; throws with the CLI's stderr when it fails. */
export async function enrol(
  admin: FleetMachine,
  machine: FleetMachine,
  opts: { refresher?: boolean; profiles?: string[] } = {},
): Promise<void> {
  const r = await admin.run([
    ...['fleet', 'host', 'add', machine.name, '--public-key', machine.publicKey],
    ...(opts.refresher ? ['--refresher'] : []),
    ...(opts.profiles ?? []).flatMap((p) => ['--profile', p]),
  ])
  if (r.code !== 0) throw new Error(`fleet host add ${machine.name} failed (${r.code}): ${r.stderr}`)
}

/**
 * A fleet under `prefix` run by three refreshers: the administrator `admin1` (which creates it; its etcd
 * user must exist) and `r2`, `r3`, enrolled as refreshers. The administrator comes first.
 */
export async function threeRefreshers(cluster: EtcdCluster, prefix?: string): Promise<FleetMachine[]> {
  const admin = await fleetMachine(cluster, 'admin1', { create: true, ...(prefix ? { prefix } : {}) })
  const others = [
    await fleetMachine(cluster, 'r2', prefix ? { prefix } : {}),
    await fleetMachine(cluster, 'r3', prefix ? { prefix } : {}),
  ]
  for (const m of others) await enrol(admin, m, { refresher: true })
  return [admin, ...others]
}
