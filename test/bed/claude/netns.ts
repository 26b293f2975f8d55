// A network namespace whose only interface is loopback: whatever runs inside can reach 127.0.0.1
// and nothing else, so a CLI that ignores a base URL or proxy fails instead of going online.
// An anonymous namespace (`unshare -n`) rather than `ip netns add`: it lives exactly as long as
// its first process, so a crashed test cannot leave one behind.
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

const TOOLS: Array<{ bin: string; pkg: string }> = [
  { bin: 'unshare', pkg: 'util-linux' },
  { bin: 'nsenter', pkg: 'util-linux' },
  { bin: 'ip', pkg: 'iproute2' },
]

function findBin(bin: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin']
  for (const dir of dirs) {
    const p = join(dir, bin)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {}
  }
  return undefined
}

export interface NetnsTools {
  unshare: string
  nsenter: string
  ip: string
}

/** Fails loudly, naming the command that fixes it, when the namespace cannot be made here. */
export function requireNetnsTools(): NetnsTools {
  if (process.getuid?.() !== 0) {
    throw new Error('the Claude test bed needs root to create a network namespace (unshare -n)')
  }
  const found: Record<string, string> = {}
  const missing: string[] = []
  for (const { bin, pkg } of TOOLS) {
    const p = findBin(bin)
    if (p) found[bin] = p
    else if (!missing.includes(pkg)) missing.push(pkg)
  }
  if (missing.length > 0) {
    throw new Error(
      `the Claude test bed needs ${missing.join(' ')}; run: apt-get install -y ${missing.join(' ')}`,
    )
  }
  return found as unknown as NetnsTools
}

/** argv that starts `command` as the first process of a new loopback-only namespace. */
export function unshareArgv(tools: NetnsTools, command: string[]): string[] {
  // unshare execs without forking, so the spawned pid is the namespace's anchor process.
  return [
    tools.unshare,
    '-n',
    '--',
    '/bin/sh',
    '-c',
    `${tools.ip} link set lo up && exec "$@"`,
    'sh',
    ...command,
  ]
}

/** argv that runs `command` inside the namespace anchored by `pid`. */
export function nsenterArgv(tools: NetnsTools, pid: number, command: string[]): string[] {
  return [tools.nsenter, `--net=/proc/${pid}/ns/net`, '--', ...command]
}
