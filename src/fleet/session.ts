// A refresher's session: one etcd lease, kept alive here rather than by etcd3, because etcd3 reports a
// lost lease only after twice its TTL (measured: 2.85 s after etcd had already expired it). `safeUntil`
// is the send time of the last acknowledged keep-alive plus the TTL etcd granted, on a monotonic clock:
// until then etcd cannot have expired the lease, whatever happened since.
import { performance } from 'node:perf_hooks'
import type { Etcd3, Lease } from 'etcd3'

export interface Session {
  /** The lease a refresher's lock and presence keys hang on; replaced after a loss. */
  leaseId(): string
  /** Milliseconds for which the lease is provably alive (negative once it may have expired). */
  safeForMs(): number
  close(): Promise<void>
}

const now = () => performance.now()

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('keep-alive timed out')), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/**
 * Grants a lease of `ttlSeconds` and renews it every third of that. After a loss (etcd says the lease is
 * gone, or safeUntil passed with no answer) a new lease is granted and `onNewLease` re-registers what
 * hung on the old one.
 */
export async function startSession(
  client: Etcd3,
  ttlSeconds: number,
  onNewLease: (id: string) => Promise<void>,
): Promise<Session> {
  let lease: Lease
  let id = ''
  let safeUntil = 0
  let closed = false
  const grant = async () => {
    const sent = now()
    lease = client.lease(ttlSeconds, { autoKeepAlive: false })
    id = await lease.grant()
    safeUntil = sent + ttlSeconds * 1000
    await onNewLease(id)
  }
  await grant()
  const period = (ttlSeconds * 1000) / 3
  let timer: NodeJS.Timeout | undefined
  const tick = async () => {
    if (closed) return
    const sent = now()
    try {
      const res = await within(lease.keepaliveOnce(), period)
      const ttl = Number(res.TTL)
      if (ttl > 0) safeUntil = sent + ttl * 1000
    } catch {
      if (now() >= safeUntil) await grant().catch(() => undefined)
    }
    if (!closed) timer = setTimeout(tick, Math.max(50, period - (now() - sent)))
  }
  timer = setTimeout(tick, period)
  return {
    leaseId: () => id,
    safeForMs: () => safeUntil - now(),
    async close() {
      closed = true
      clearTimeout(timer)
      await lease.revoke().catch(() => undefined)
    },
  }
}
