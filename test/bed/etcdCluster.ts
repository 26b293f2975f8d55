// A real etcd cluster for the fleet tests: Debian's etcd-server (installed by scripts/system-deps.sh)
// as three members on random loopback ports, run as an unprivileged user with data in a private
// temporary directory, clients over TLS with certificate authentication. Every member is stopped by
// its PID and the directory removed by close().
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel'
import { Etcd3, isRecoverableError } from 'etcd3'
import { type ClientCert, type EtcdCa, makeEtcdCa } from './etcdCerts.js'

const ETCD = '/usr/bin/etcd'
const NOBODY = 65534
const START_TIMEOUT_MS = 30_000

export interface EtcdMember {
  name: string
  clientUrl: string
  pid: number | undefined
  alive: boolean
}

export interface EtcdCluster {
  endpoints: string[]
  members: EtcdMember[]
  ca: EtcdCa
  /** A client certificate for an etcd user (CN = user); `root` administers the cluster. */
  cert(user: string): Promise<ClientCert>
  /** A client as `user` (root by default), closed with the cluster. */
  client(user?: string): Promise<Etcd3>
  /** Creates the root user and turns authentication on: from then on the certificate's CN is the user. */
  enableAuth(): Promise<void>
  /** The index of the member that is the raft leader now. */
  leader(): Promise<number>
  signal(index: number, sig: NodeJS.Signals): void
  /** Starts a member killed earlier again, with its data. */
  restart(index: number): Promise<void>
  /** What the members wrote to stderr, for a failing test's message. */
  logs(): string
  close(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
    s.once('error', reject)
  })
}

async function chownTree(path: string, uid: number): Promise<void> {
  await chown(path, uid, uid)
  for (const e of await readdir(path, { withFileTypes: true })) {
    const p = join(path, e.name)
    if (e.isDirectory()) await chownTree(p, uid)
    else await chown(p, uid, uid)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function startEtcdCluster(opts: { members?: number } = {}): Promise<EtcdCluster> {
  if (!existsSync(ETCD)) {
    throw new Error(
      `${ETCD} is missing: the fleet tests need Debian's etcd-server; run: sh scripts/system-deps.sh`,
    )
  }
  const count = opts.members ?? 3
  const dir = await mkdtemp(join(tmpdir(), 'authkeep-etcd-'))
  await chmod(dir, 0o700)
  const certDir = join(dir, 'pki')
  await mkdir(certDir, { mode: 0o700 })
  const ca = await makeEtcdCa(certDir)
  // Unprivileged members: as root, the tests hand the directory to nobody and run etcd as nobody.
  const asRoot = process.getuid?.() === 0
  const token = `authkeep-${process.pid}-${Date.now()}`
  const ports = await Promise.all(Array.from({ length: 2 * count }, () => freePort()))
  const members = Array.from({ length: count }, (_, i) => ({
    name: `m${i}`,
    clientUrl: `https://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    dataDir: join(dir, `m${i}`),
    child: undefined as ChildProcess | undefined,
    log: '',
  }))
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',')
  for (const m of members) await mkdir(m.dataDir, { mode: 0o700 })
  if (asRoot) await chownTree(dir, NOBODY)

  const launch = (m: (typeof members)[number], state: 'new' | 'existing') => {
    const args = [
      ...['--name', m.name, '--data-dir', m.dataDir],
      ...['--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl],
      ...['--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl],
      ...['--initial-cluster', initialCluster, '--initial-cluster-state', state],
      ...['--initial-cluster-token', token],
      ...['--heartbeat-interval', '100', '--election-timeout', '1000'],
      ...['--client-cert-auth', '--trusted-ca-file', ca.caFile],
      ...['--cert-file', ca.server.certFile, '--key-file', ca.server.keyFile],
      // A file etcd opens itself would have to be writable by nobody: its stderr goes to this process.
      ...['--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn'],
    ]
    const child = spawn(ETCD, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
      env: { PATH: '/usr/bin:/bin', ETCD_UNSUPPORTED_ARCH: process.env.ETCD_UNSUPPORTED_ARCH ?? '' },
    })
    child.stderr?.on('data', (d) => {
      m.log = (m.log + d).slice(-20_000)
    })
    m.child = child
  }

  const clients: Etcd3[] = []
  // By name: Node warns when TLS is given an IP address as the server name (RFC 6066).
  const byName = (url: string) => url.replace('127.0.0.1', 'localhost')
  const newClient = async (user: string, endpoints = members.map((m) => byName(m.clientUrl))) => {
    const { readFile } = await import('node:fs/promises')
    const c = await ca.client(user)
    const client = new Etcd3({
      hosts: endpoints,
      credentials: {
        rootCertificate: await readFile(c.caFile),
        certChain: await readFile(c.certFile),
        privateKey: await readFile(c.keyFile),
      },
      defaultCallOptions: () => ({ deadline: Date.now() + 5000 }),
      // As the fleet's own client does: a request racing a change of users or roles is asked again.
      faultHandling: {
        global: retry(
          handleWhen((err) => isRecoverableError(err) || /revision of auth store is old/.test(err.message)),
          { maxAttempts: 4, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) },
        ),
      },
    })
    clients.push(client)
    return client
  }

  const cluster: EtcdCluster = {
    endpoints: members.map((m) => byName(m.clientUrl)),
    get members() {
      return members.map((m) => ({
        name: m.name,
        clientUrl: m.clientUrl,
        pid: m.child?.pid,
        alive: m.child !== undefined && m.child.exitCode === null && m.child.signalCode === null,
      }))
    },
    ca,
    cert: (user) => ca.client(user),
    client: (user = 'root') => newClient(user),
    async enableAuth() {
      const root = await newClient('root')
      await root.user('root').create(`unused-${Math.random()}`)
      await root.user('root').addRole('root')
      await root.auth.authEnable()
    },
    async leader() {
      const root = await newClient('root')
      const status = await root.maintenance.status()
      const leaderId = String(status.leader)
      const list = await root.cluster.memberList({})
      const name = list.members.find((m) => String(m.ID) === leaderId)?.name
      const index = members.findIndex((m) => m.name === name)
      if (index < 0) throw new Error(`no leader among ${members.map((m) => m.name).join(', ')}`)
      return index
    },
    signal(index, sig) {
      const pid = members[index]?.child?.pid
      if (pid) process.kill(pid, sig)
    },
    async restart(index) {
      const m = members[index]
      if (!m) throw new Error(`no member ${index}`)
      launch(m, 'existing')
    },
    logs: () => members.map((m) => `--- ${m.name}\n${m.log}`).join('\n'),
    async close() {
      for (const c of clients.splice(0)) c.close()
      await Promise.all(
        members.map(async (m) => {
          const child = m.child
          if (!child || child.exitCode !== null || child.signalCode !== null) return
          const exited = new Promise((r) => child.once('exit', r))
          child.kill('SIGCONT')
          child.kill('SIGKILL')
          await exited
        }),
      )
      await rm(dir, { recursive: true, force: true })
    },
  }

  for (const m of members) launch(m, 'new')
  // Healthy when every member answers a status call over TLS; bounded, and loud when it never happens.
  const started = Date.now()
  const probes = await Promise.all(members.map((m) => newClient('root', [byName(m.clientUrl)]))).catch(
    async (err: unknown) => {
      await cluster.close()
      throw err
    },
  )
  for (let i = 0; ; i++) {
    const dead = members.find((m) => m.child?.exitCode !== null)
    const ok = dead
      ? false
      : (
          await Promise.all(
            probes.map((p) =>
              p.maintenance.status().then(
                () => true,
                () => false,
              ),
            ),
          )
        ).every(Boolean)
    if (ok) break
    if (dead || Date.now() - started > START_TIMEOUT_MS) {
      const why = dead ? `member ${dead.name} exited (${dead.child?.exitCode})` : 'not healthy in time'
      const logs = cluster.logs()
      await cluster.close()
      throw new Error(`etcd test cluster did not start: ${why}\n${logs}`)
    }
    await sleep(Math.min(100 * (i + 1), 500))
  }
  for (const p of probes) {
    p.close()
    clients.splice(clients.indexOf(p), 1)
  }
  return cluster
}
