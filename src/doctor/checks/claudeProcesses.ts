import { readdir, readFile, realpath } from 'node:fs/promises'
import { basename, isAbsolute, join, resolve } from 'node:path'

export interface ClaudeProcess {
  pid: number
  /** The config dir it uses: its CLAUDE_CONFIG_DIR, else $HOME/.claude. */
  configDir: string
}

const nulSplit = (text: string) => text.split('\0').filter(Boolean)

const CLAUDE_BIN = new Set(['claude', 'claude.exe'])
const INTERPRETERS = new Set(['node', 'nodejs', 'bun'])
const isClaudeScript = (arg: string) =>
  CLAUDE_BIN.has(basename(arg)) || arg.includes('@anthropic-ai/claude-code/')

/** The real binary is `claude` (the npm wrapper hard-links `claude.exe`); older builds ran as node + cli.js. */
function isClaude(argv: string[]): boolean {
  const [bin = '', script = ''] = argv
  return isClaudeScript(bin) || (INTERPRETERS.has(basename(bin)) && isClaudeScript(script))
}

async function read(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined)
}

/**
 * Running Claude Code processes this user may inspect, under a /proc-shaped `root`. A process whose
 * environ cannot be read belongs to someone else and cannot share our file unless we are root.
 */
export async function claudeProcesses(root: string): Promise<ClaudeProcess[]> {
  const entries = await readdir(root).catch(() => [] as string[])
  const found: ClaudeProcess[] = []
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue
    const pid = Number(name)
    if (pid === process.pid) continue
    const cmdline = await read(join(root, name, 'cmdline'))
    if (!cmdline || !isClaude(nulSplit(cmdline))) continue
    const environ = await read(join(root, name, 'environ'))
    if (environ === undefined) continue
    const env = new Map(
      nulSplit(environ).map((kv) => {
        const i = kv.indexOf('=')
        return [kv.slice(0, i), kv.slice(i + 1)] as const
      }),
    )
    const dir = env.get('CLAUDE_CONFIG_DIR')
    const home = env.get('HOME')
    if (dir) {
      // A relative one is resolved against that process's working directory.
      const cwd = isAbsolute(dir) ? '/' : await realpath(join(root, name, 'cwd')).catch(() => undefined)
      if (cwd !== undefined) found.push({ pid, configDir: resolve(cwd, dir) })
    } else if (home) {
      found.push({ pid, configDir: join(home, '.claude') })
    }
  }
  return found
}

export async function sameDir(a: string, b: string): Promise<boolean> {
  const real = async (p: string) => (await realpath(p).catch(() => resolve(p))).replace(/\/+$/, '')
  return (await real(a)) === (await real(b))
}
