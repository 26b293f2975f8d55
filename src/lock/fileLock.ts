import { dirname } from 'node:path'
import lockfile from 'proper-lockfile'
import { ensurePrivateDir } from '../files/atomicFile.js'

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  timeoutMs: number
  /** A lock not refreshed for this long belongs to a crashed process and is taken over (Claude Code uses 10 s). */
  staleMs?: number
  signal?: AbortSignal
  /**
   * Called each time a lock was busy, instead of the short randomised sleep: a waiter may wait for the
   * record to change here and stop waiting by throwing (nothing is held at that moment).
   */
  whileWaiting?: () => Promise<void>
}

export class LockBusyError extends Error {
  constructor(
    readonly lockPath: string,
    readonly waitedMs: number,
  ) {
    super(`lock ${lockPath} is held by another process`)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function tryLock(lockPath: string, staleMs: number): Promise<(() => Promise<void>) | undefined> {
  try {
    return await lockfile.lock(lockPath, {
      lockfilePath: lockPath,
      realpath: false,
      stale: staleMs,
      update: 2_000,
      retries: 0,
      // The default throws from a timer and kills the process; a holder that lost its lock to a stale
      // takeover still finishes its work, and the callers re-read before they overwrite anything.
      onCompromised: () => {},
    })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') return undefined
    throw err
  }
}

/**
 * Runs `fn` while holding every lock in `lockPaths` (proper-lockfile's mkdir locks, the kind Claude Code
 * takes). All or none: a busy lock releases the ones already taken before waiting, so two processes
 * taking the same locks in another order cannot deadlock. Waits in short randomised steps, up to
 * `timeoutMs`.
 */
export async function withFileLocks<T>(
  lockPaths: string[],
  opts: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  for (const dir of new Set(lockPaths.map((p) => dirname(p)))) await ensurePrivateDir(dir)
  const started = Date.now()
  const held: Array<() => Promise<void>> = []
  const releaseAll = () => Promise.all(held.splice(0).map((r) => r().catch(() => {})))
  for (;;) {
    let busy: string | undefined
    for (const lockPath of lockPaths) {
      const release = await tryLock(lockPath, opts.staleMs ?? 10_000)
      if (!release) {
        busy = lockPath
        break
      }
      held.push(release)
    }
    if (busy === undefined) break
    await releaseAll()
    const waited = Date.now() - started
    if (waited >= opts.timeoutMs) throw new LockBusyError(busy, waited)
    opts.signal?.throwIfAborted()
    await (opts.whileWaiting?.() ?? sleep(15 + Math.random() * 60))
  }
  try {
    return await fn()
  } finally {
    await releaseAll()
  }
}

export function withFileLock<T>(lockPath: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  return withFileLocks([lockPath], opts, fn)
}
