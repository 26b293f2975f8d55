import { watch } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'

/** Notices that a credential may have changed; a change between two calls is not lost. */
export interface Changes {
  /** Resolves at the next change, or after `withinMs` at the latest (a bounded poll). */
  next(withinMs: number): Promise<void>
  close(): void
}

/**
 * Changes from any source of notices: `subscribe` calls its argument at each change and returns how to
 * stop. A notice that arrives while nobody waits is kept for the next wait.
 */
export function changeNotices(subscribe: (notify: () => void) => () => void): Changes {
  let pending = false
  let wake: (() => void) | undefined
  const stop = subscribe(() => {
    pending = true
    wake?.()
  })
  return {
    next(withinMs) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer)
          wake = undefined
          pending = false
          resolve()
        }
        const timer = setTimeout(done, pending ? 0 : withinMs)
        wake = done
      })
    },
    close: stop,
  }
}

/**
 * Changes of one file, seen through its directory: an atomic write renames a temporary file over it,
 * which a watch of the file itself would miss. Where watching is not possible (no inotify left, a
 * file system without notices) every wait simply runs its bound, as the lock's poll did before.
 */
export function fileChanges(file: string): Changes {
  const name = basename(file)
  return changeNotices((notify) => {
    try {
      const watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) notify()
      })
      watcher.on('error', () => watcher.close())
      return () => watcher.close()
    } catch {
      return () => {}
    }
  })
}

/**
 * Whether another process holds one of these mkdir locks now: one that exists and was touched within
 * `staleMs` (proper-lockfile touches a held lock every 2 s; Claude Code's go stale after 10 s). Read
 * only, with no lock library: a reader that sees a refresh under way may wait for its write.
 */
export async function lockHeld(lockPaths: string[], now: Date, staleMs = 10_000): Promise<boolean> {
  for (const path of lockPaths) {
    const s = await stat(path).catch(() => undefined)
    if (s && now.getTime() - s.mtimeMs < staleMs) return true
  }
  return false
}
