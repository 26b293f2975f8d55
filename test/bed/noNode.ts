// A place where no Node.js can be found, for the single executable: a private mount namespace in which
// every node binary and npm's folders are covered (an unexecutable /dev/null, an empty tmpfs), so
// neither PATH nor an absolute path reaches them. Needs root (unshare -m), as the other beds do.
import { existsSync, realpathSync } from 'node:fs'

const NODE_FILES = ['/usr/bin/node', '/usr/bin/nodejs', '/usr/local/bin/node', '/usr/bin/npm', '/usr/bin/npx']
const NODE_DIRS = ['/usr/lib/node_modules', '/usr/local/lib/node_modules', '/usr/share/nodejs']

/** A PATH for inside: the system folders (whose node is covered) after `first`. */
export function pathWithoutNode(...first: string[]): string {
  return [...first, '/usr/bin', '/bin'].join(':')
}

/** argv that runs `command` with Node hidden; the namespace ends with the command. */
export function withoutNodeArgv(command: string[]): string[] {
  const files = new Set(NODE_FILES.filter((f) => existsSync(f)))
  files.add(realpathSync(process.execPath))
  const dirs = NODE_DIRS.filter((d) => existsSync(d))
  const script = [
    ...[...files].map((f) => `mount --bind /dev/null ${f}`),
    ...dirs.map((d) => `mount -t tmpfs -o size=4k,mode=755 authkeep-no-node ${d}`),
    'exec "$@"',
  ].join(' && ')
  // unshare's default propagation is private: the mounts never reach the machine's own namespace.
  return ['unshare', '-m', '--', '/bin/sh', '-c', script, 'no-node', ...command]
}
