import { changeNotices } from '../lock/changes.js'
import { LockBusyError } from '../lock/fileLock.js'
import type { Credential } from './credential.js'
import type { CredentialStore } from './store.js'

export interface MemoryStore extends CredentialStore {
  /** What is stored now, and every write in order: what a test asserts on. */
  current: Credential | undefined
  writes: Credential[]
  /** Whether someone holds the lock now. */
  locked(): boolean
}

/**
 * A store with no file at all, as a remote one has none: a lock in memory and change notices from its
 * own writes. For unit tests of the use cases, and a small proof that the seam assumes no local file.
 */
export function memoryStore(initial?: Credential): MemoryStore {
  const listeners = new Set<() => void>()
  let holder: Promise<void> | undefined
  const store: MemoryStore = {
    current: initial,
    writes: [],
    locked: () => holder !== undefined,
    file: undefined,
    read: async () => store.current,
    async write(c) {
      store.current = c
      store.writes.push(c)
      for (const l of listeners) l()
    },
    async remove() {
      store.current = undefined
    },
    async lock(opts, fn) {
      const started = Date.now()
      while (holder) {
        if (Date.now() - started >= opts.timeoutMs) throw new LockBusyError('memory', Date.now() - started)
        await (opts.whileWaiting?.() ?? holder)
      }
      let release = () => {}
      holder = new Promise((r) => {
        release = r
      })
      try {
        return await fn()
      } finally {
        holder = undefined
        release()
      }
    },
    changes: () =>
      changeNotices((notify) => {
        listeners.add(notify)
        return () => listeners.delete(notify)
      }),
    refreshing: async () => holder !== undefined,
    describe: () => 'memory',
    restoreRaw: async () => {},
    probeKeyring: async () => {},
  }
  return store
}
