// A second, private OpenSSH server for the tests: its own config, host key, PID file and port on
// 127.0.0.1, and its own throwaway user, so hand-off and agent forwarding run over real ssh without
// ever touching the system's sshd, its config or a real account.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'

export interface SshResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface Sshd {
  port: number
  host: '127.0.0.1'
  /** The throwaway account the server lets in (key only), its uid/gid and its home (under /tmp). */
  user: string
  uid: number
  gid: number
  home: string
  /** The client's private key (0600, owned by the test process's user). */
  clientKey: string
  /** A known_hosts file pinning this server's host key as `[127.0.0.1]:PORT`. */
  knownHosts: string
  /** Everything `ssh` needs before the target, with no other config: `ssh ...sshArgs target cmd`. */
  sshArgs: string[]
  /** `user@127.0.0.1` */
  target: string
  /** A ~/.ssh/config-style file whose `Host alias` sets all of the above: `ssh -F sshConfigFile alias`. */
  sshConfigFile: string
  alias: string
  /** The fixture's scratch directory (config, keys, logs); the home sits inside it. */
  dir: string
  /**
   * Sets variables for the user's next sessions (sshd's PermitUserEnvironment, ~/.ssh/environment),
   * e.g. `{ PATH: '/some/bin:/usr/bin:/bin' }`. An empty object clears them.
   */
  setSessionEnv(vars: Record<string, string>): Promise<void>
  /** Runs `command` as the user over ssh (a remote shell command line), with optional stdin. */
  ssh(command: string, opts?: { input?: string; timeoutMs?: number }): Promise<SshResult>
  /** What sshd logged so far (stderr, LogLevel VERBOSE). */
  log(): string
  /** Stops sshd and every process of its sessions, removes the user and the scratch directory. */
  close(): Promise<void>
}

const SSHD = '/usr/sbin/sshd'
const USER_PREFIX = 'akbed'
const START_TIMEOUT_MS = 10_000

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<SshResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({
        code,
        stdout: String(stdout),
        stderr: String(stderr || (err && !err.code ? err.message : '')),
      })
    })
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// Installs Debian's openssh-server when it is missing. Its postinst would start the system's
// sshd unless policy-rc.d forbids it (as in containers); anywhere else we stop and say what to run.
async function ensureSshd(): Promise<void> {
  if (existsSync(SSHD)) return
  const how = 'sudo apt-get install -y openssh-server'
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`the sshd test bed needs ${SSHD}; run: ${how}`)
  }
  if (!existsSync('/usr/sbin/policy-rc.d')) {
    throw new Error(
      `the sshd test bed needs ${SSHD} (not installed here, as it would start the system sshd); run: ${how}`,
    )
  }
  const r = await run(
    'sh',
    ['-c', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server'],
    300_000,
  )
  if (r.code !== 0 || !existsSync(SSHD)) throw new Error(`apt-get install openssh-server failed: ${r.stderr}`)
}

// useradd/userdel take a lock on /etc/passwd; two test files starting at once may collide.
async function withPasswdRetry(cmd: string, args: string[]): Promise<void> {
  let last: SshResult | undefined
  for (let i = 0; i < 20; i++) {
    last = await run(cmd, args)
    if (last.code === 0) return
    await sleep(100 + i * 50)
  }
  throw new Error(`${cmd} ${args.join(' ')} failed: ${last?.stderr}`)
}

async function idsOf(user: string): Promise<{ uid: number; gid: number }> {
  const r = await run('id', ['-u', user])
  const g = await run('id', ['-g', user])
  if (r.code !== 0 || g.code !== 0) throw new Error(`no such user ${user}: ${r.stderr}`)
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) }
}

// Users of earlier runs that crashed before close(): their scratch home is gone.
async function sweepStaleUsers(): Promise<void> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '')
  for (const line of passwd.split('\n')) {
    const [name, , , , , home] = line.split(':')
    if (!name?.startsWith(USER_PREFIX) || !home?.startsWith('/tmp/authkeep-sshd-')) continue
    if (existsSync(home)) continue
    await run('userdel', [name])
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

async function pidsOf(pred: (pid: number, ppid: number, uid: number) => boolean): Promise<number[]> {
  const out: number[] = []
  for (const e of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8')
      const [state, ppidText] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // A zombie has ended; only its parent (init, here) can reap it.
      if (state === 'Z') continue
      const ppid = Number(ppidText)
      const status = await readFile(`/proc/${e}/status`, 'utf8')
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1)
      if (pred(Number(e), ppid, uid)) out.push(Number(e))
    } catch {
      // the process ended while we looked
    }
  }
  return out
}

// Every process the fixture is responsible for: sshd, its session children, and anything the
// throwaway user still runs (a forwarded agent client, a backgrounded command).
async function fixtureProcesses(rootPid: number, uid: number): Promise<number[]> {
  const all = await pidsOf(() => true)
  const parent = new Map<number, number>()
  const owner = new Map<number, number>()
  await pidsOf((pid, ppid, u) => {
    parent.set(pid, ppid)
    owner.set(pid, u)
    return false
  })
  const ours = new Set<number>([rootPid])
  let grew = true
  while (grew) {
    grew = false
    for (const pid of all) {
      const pp = parent.get(pid)
      if (!ours.has(pid) && ((pp !== undefined && ours.has(pp)) || owner.get(pid) === uid)) {
        ours.add(pid)
        grew = true
      }
    }
  }
  return [...ours].filter((p) => all.includes(p))
}

function sshdConfig(o: { port: number; dir: string; user: string }): string {
  return `${[
    `Port ${o.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(o.dir, 'host_ed25519')}`,
    `PidFile ${join(o.dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(o.dir, 'authorized_keys')}`,
    `AllowUsers ${o.user}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin no',
    // No PAM in a container; the account's password field is `*` so key logins are not "locked".
    'UsePAM no',
    // The scratch directory lives under /tmp (1777), which StrictModes rejects.
    'StrictModes no',
    'PermitUserEnvironment yes',
    'AllowTcpForwarding yes',
    'AllowStreamLocalForwarding yes',
    // sshd leaves a forwarded socket behind when a session ends; the next bind must replace it.
    'StreamLocalBindUnlink yes',
    'X11Forwarding no',
    'PrintMotd no',
    'PrintLastLog no',
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    'LogLevel VERBOSE',
    'Subsystem sftp internal-sftp',
  ].join('\n')}\n`
}

async function listen(
  configFile: string,
  wrap: (argv: string[]) => string[],
): Promise<{ child: ChildProcess; log: () => string }> {
  // sshd re-executes itself, so it must be started by its absolute path.
  const [file, ...args] = wrap([SSHD, '-D', '-e', '-f', configFile]) as [string, ...string[]]
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr?.on('data', (d) => {
    log += d
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`sshd did not start within ${START_TIMEOUT_MS} ms:\n${log}`)),
      START_TIMEOUT_MS,
    )
    const check = () => {
      if (/Server listening on 127\.0\.0\.1/.test(log)) done()
    }
    const onExit = (code: number | null) => done(new Error(`sshd exited (${code}) at start:\n${log}`))
    function done(err?: Error) {
      clearTimeout(timer)
      child.stderr?.off('data', check)
      child.off('exit', onExit)
      if (err) {
        child.kill('SIGKILL')
        reject(err)
      } else resolve()
    }
    child.stderr?.on('data', check)
    child.once('exit', onExit)
  })
  return { child, log: () => log }
}

/**
 * `wrap` turns sshd's argv into the command that starts it, e.g. in a mount namespace that the
 * sessions then share (it must exec sshd in the end, keeping the pid).
 */
export async function startSshd(wrap: (argv: string[]) => string[] = (argv) => argv): Promise<Sshd> {
  await ensureSshd()
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 })
  await sweepStaleUsers()

  const dir = await mkdtemp('/tmp/authkeep-sshd-')
  await chmod(dir, 0o755)
  const home = join(dir, 'home')
  const user = `${USER_PREFIX}${Math.random().toString(16).slice(2, 10)}`
  let child: ChildProcess | undefined
  let uid = -1
  try {
    // `-p '*'`: a password no one can type, but not a locked (`!`) account, which sshd refuses
    // even for keys without PAM. bash, so the history-file checks mean something.
    await withPasswdRetry('useradd', ['-M', '-d', home, '-s', '/bin/bash', '-p', '*', '-U', user])
    const ids = await idsOf(user)
    uid = ids.uid
    await mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 })
    await chown(home, ids.uid, ids.gid)
    await chown(join(home, '.ssh'), ids.uid, ids.gid)
    await chmod(home, 0o700)

    const hostKey = join(dir, 'host_ed25519')
    const clientKey = join(dir, 'client_ed25519')
    for (const [file, comment] of [
      [hostKey, 'authkeep-bed-host'],
      [clientKey, 'authkeep-bed-client'],
    ] as const) {
      const r = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file])
      if (r.code !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`)
    }
    await writeFile(join(dir, 'authorized_keys'), await readFile(`${clientKey}.pub`), { mode: 0o644 })
    const hostPub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ')

    // A free port can be taken between the probe and sshd's bind; try a few.
    const configFile = join(dir, 'sshd_config')
    let port = 0
    let log: () => string = () => ''
    for (let attempt = 0; ; attempt++) {
      port = await freePort()
      await writeFile(configFile, sshdConfig({ port, dir, user }))
      try {
        const started = await listen(configFile, wrap)
        child = started.child
        log = started.log
        break
      } catch (err) {
        if (attempt >= 3 || !/Address already in use|Bind to port/.test(String(err))) throw err
      }
    }

    const knownHosts = join(dir, 'known_hosts')
    await writeFile(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`)
    const sshArgs = [
      ...['-F', '/dev/null', '-p', String(port), '-i', clientKey],
      ...['-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes'],
      ...['-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes'],
    ]
    const alias = 'authkeep-bed'
    const sshConfigFile = join(dir, 'ssh_config')
    await writeFile(
      sshConfigFile,
      [
        `Host ${alias}`,
        '  HostName 127.0.0.1',
        `  Port ${port}`,
        `  User ${user}`,
        `  IdentityFile ${clientKey}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${knownHosts}`,
        '  StrictHostKeyChecking yes',
        '  BatchMode yes',
        '',
      ].join('\n'),
    )
    const target = `${user}@127.0.0.1`
    const sshd = child as ChildProcess
    let closed = false

    return {
      port,
      host: '127.0.0.1',
      user,
      uid: ids.uid,
      gid: ids.gid,
      home,
      clientKey,
      knownHosts,
      sshArgs,
      target,
      sshConfigFile,
      alias,
      dir,
      log,
      async setSessionEnv(vars) {
        const file = join(home, '.ssh', 'environment')
        const body = Object.entries(vars)
          .map(([k, v]) => `${k}=${v}\n`)
          .join('')
        await writeFile(file, body, { mode: 0o600 })
        await chown(file, ids.uid, ids.gid)
      },
      ssh(command, opts = {}) {
        return new Promise((resolve) => {
          const c = spawn('ssh', [...sshArgs, target, command], { stdio: ['pipe', 'pipe', 'pipe'] })
          let stdout = ''
          let stderr = ''
          const timer = setTimeout(() => {
            stderr += `\n[sshd bed] ssh killed after ${opts.timeoutMs ?? 30_000} ms\n`
            c.kill('SIGKILL')
          }, opts.timeoutMs ?? 30_000)
          c.stdout.on('data', (d) => {
            stdout += d
          })
          c.stderr.on('data', (d) => {
            stderr += d
          })
          c.on('close', (code) => {
            clearTimeout(timer)
            resolve({ code, stdout, stderr })
          })
          c.stdin.end(opts.input ?? '')
        })
      },
      async close() {
        if (closed) return
        closed = true
        await stop(sshd, ids.uid)
        await withPasswdRetry('userdel', [user]).catch(() => undefined)
        await rm(dir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    if (child) await stop(child, uid)
    if (uid >= 0) await withPasswdRetry('userdel', [user]).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
    throw err
  }
}

async function stop(sshd: ChildProcess, uid: number): Promise<void> {
  const root = sshd.pid
  if (root === undefined) return
  const exited =
    sshd.exitCode !== null || sshd.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => sshd.once('exit', () => resolve()))
  // Sessions outlive the listener, so each of our processes is ended by its own pid.
  for (let round = 0; round < 5; round++) {
    const pids = await fixtureProcesses(root, uid)
    if (pids.length === 0) break
    for (const pid of pids) {
      try {
        process.kill(pid, round === 0 ? 'SIGTERM' : 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await sleep(round === 0 ? 100 : 200)
  }
  await Promise.race([exited, sleep(5_000)])
}
