import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { printable } from '../printable.js'
import { destinationIndex } from './sshArgs.js'

export interface PeerCred {
  pid: number
  uid: number
  gid: number
}

// Node has no getsockopt(SO_PEERCRED). perl-base is Essential on Debian/Ubuntu and present on every
// mainstream Linux, and its Socket module exposes the constant for the running architecture. The
// accepted socket is handed to perl as fd 3 (a dup of the same kernel socket), so what it reads is the
// kernel's own record of the process that called connect(): pid, uid and gid at connect time, which the
// client cannot choose. This is the check ssh-agent makes with getpeereid().
const SCRIPT =
  'use Socket; open(my $s, "+<&=", 3) or die "fd: $!\\n"; ' +
  'my $c = getsockopt($s, SOL_SOCKET, SO_PEERCRED) or die "getsockopt: $!\\n"; ' +
  'my ($p, $u, $g) = unpack("iII", $c); print "$p $u $g\\n"'

/** The kernel's credentials of the connecting process; rejects when they cannot be read (fail closed). */
export function peerCred(socket: Socket, timeoutMs = 5_000): Promise<PeerCred> {
  return new Promise((resolve, reject) => {
    const child = spawn('perl', ['-e', SCRIPT], {
      stdio: ['ignore', 'pipe', 'pipe', socket],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    })
    let out = ''
    let err = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout?.on('data', (d) => {
      out += d
    })
    child.stderr?.on('data', (d) => {
      err += d
    })
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(new Error(`cannot run perl to read the peer's credentials (${(e as Error).message})`))
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      const m = /^(-?\d+) (\d+) (\d+)$/.exec(out.trim())
      if (code !== 0 || !m) {
        reject(new Error(`cannot read the peer's credentials: ${err.trim() || `perl exited ${code}`}`))
        return
      }
      resolve({ pid: Number(m[1]), uid: Number(m[2]), gid: Number(m[3]) })
    })
  })
}

/** A short name for the peer process for the log and the confirmation prompt (informative only). */
export async function describePeer(pid: number): Promise<string> {
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean)
    const name = args[0]?.split('/').pop() ?? '?'
    // For ssh, its destination says which host the forwarded request comes from.
    if (name !== 'ssh') return `${printable(name, 64)} (pid ${pid})`
    const at = destinationIndex(args.slice(1))
    return `ssh ${at === -1 ? '?' : printable(args[at + 1] ?? '?', 255)} (pid ${pid})`
  } catch {
    return `pid ${pid}`
  }
}
