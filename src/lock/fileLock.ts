import { dirname } from 'node:path'
import lockfile from 'proper-lockfile'
import { ensurePrivateDir } from '../stores/atomicFile.js'

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  timeoutMs: number
  /** A lock not refreshed for this long belongs to a crashed process and is taken over (Claude Code uses 10 s). */
  staleMs?: number
  signal?: AbortSignal
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

/**
 * Runs `fn` while holding the lock at `lockPath` (proper-lockfile's mkdir lock, the same kind Claude Code
 * takes). Waits in short randomised steps, up to `timeoutMs`.
 */
export async function withFileLock<T>(lockPath: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  await ensurePrivateDir(dirname(lockPath))
  const started = Date.now()
  let release: () => Promise<void>
  for (;;) {
    try {
      release = await lockfile.lock(lockPath, {
        lockfilePath: lockPath,
        realpath: false,
        stale: opts.staleMs ?? 10_000,
        update: 2_000,
        retries: 0,
        // The default throws from a timer and kills the process; a holder that lost its lock to a stale
        // takeover still finishes its work, and the callers re-read before they overwrite anything.
        onCompromised: () => {},
      })
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err
      const waited = Date.now() - started
      if (waited >= opts.timeoutMs) throw new LockBusyError(lockPath, waited)
      opts.signal?.throwIfAborted()
      await sleep(15 + Math.random() * 60)
    }
  }
  try {
    return await fn()
  } finally {
    await release().catch(() => {})
  }
}
