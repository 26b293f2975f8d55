import { lstat, rm } from 'node:fs/promises'
import { type Check, type Finding, finding } from '../finding.js'
import { lockPaths } from './claudeLocks.js'
import { sh } from './shell.js'

// A live holder (proper-lockfile, in Claude Code and in authkeep) touches its lock every few seconds;
// one untouched for 10 s is what both treat as abandoned.
const STALE_MS = 10_000

const lockOf = new WeakMap<Finding, string>()

export const lockStale: Check = {
  id: 'lock.stale',
  title: 'no refresh lock was left behind by a crashed process',
  async run(ctx) {
    const found: Finding[] = []
    for (const path of await lockPaths(ctx)) {
      const s = await lstat(path).catch(() => undefined)
      if (!s) continue
      const age = ctx.now.getTime() - s.mtimeMs
      if (age <= STALE_MS) continue
      const f = finding(
        'lock.stale',
        'warning',
        `the refresh lock ${path} has not been touched for ${Math.round(age / 1000)} s`,
        'the process that held it died while refreshing: it may have spent the refresh token without saving the new one (check with doctor --online), and every refresher has to take the lock over first',
        `${s.isDirectory() ? 'rmdir' : 'rm'} ${sh(path)}`,
        true,
      )
      lockOf.set(f, path)
      found.push(f)
    }
    return found
  },
  async fix(_ctx, f) {
    const path = lockOf.get(f)
    if (!path) throw new Error(`no lock recorded for finding ${f.id}`)
    const s = await lstat(path).catch(() => undefined)
    if (!s) return `the lock ${path} was already gone`
    // Looked at again, on the real clock: a new holder may have taken it since the check.
    if (Date.now() - s.mtimeMs <= STALE_MS) {
      return `left the lock ${path}: it is in use again`
    }
    await rm(path, { recursive: s.isDirectory(), force: true })
    return `removed the stale lock ${path}`
  },
}
