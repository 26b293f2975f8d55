// The single executable the tests run: built by `npm test` (scripts/buildExe.mjs) before the tests,
// and built here when it is missing or older than the build it embeds (a test file run on its own).
import { execFileSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')
export const exeFor = (arch: string) => resolve(ROOT, 'dist-exe', `authkeep-linux-${arch}`)
export const EXE = exeFor(process.arch)

const mtime = (f: string) => {
  try {
    return statSync(f).mtimeMs
  } catch {
    return -1
  }
}

export function ensureExe(arch: string = process.arch): string {
  const exe = exeFor(arch)
  const inputs = ['dist/cli.js', 'dist/fast-token.js', 'bin/authkeep.cjs', 'scripts/buildExe.mjs']
  const newest = Math.max(...inputs.map((f) => mtime(resolve(ROOT, f))))
  if (mtime(exe) < newest) {
    execFileSync(process.execPath, ['scripts/buildExe.mjs', '--arch', arch], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    })
  }
  if (mtime(exe) < 0) throw new Error(`${exe} could not be built (see above); run: npm run build:exe`)
  return exe
}
