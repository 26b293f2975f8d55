// Many profiles' transactions in one etcd round trip (a group commit). Each part is one profile's
// transaction: its compares and the operations to run when they hold. Parts submitted while a commit is
// in flight (or in the same turn) go together: `If[every part's compares] Then[every part's operations]`.
// The parts touch disjoint keys (one profile each), so a combined transaction that succeeds is exactly
// each part's own transaction succeeding. When it does not (one part's compare failed) or it fails, each
// part runs its own transaction, with its own else branch, as if it had been submitted alone: batching
// changes the number of round trips, never an outcome.
import type { Etcd3, IOperation, IRequestOp, ITxnResponse } from 'etcd3'

type Compare = [key: string, target: 'Mod' | 'Create', value: string | number]

type Op = IRequestOp | IOperation

export interface TxnPart {
  compares: [Compare, ...Compare[]]
  /** The operations when every compare holds; built when committed (the lease id may have changed). */
  success(): Op[]
  /** The operations when one does not: only ever run in the part's own transaction. */
  failure?(): Op[]
}

/** `If[compares]` as an etcd3 transaction builder. */
export function transaction(client: Etcd3, compares: readonly Compare[]) {
  const [first, ...rest] = compares as [Compare, ...Compare[]]
  let txn = client.if(first[0], first[1], '==', first[2])
  for (const [key, target, value] of rest) txn = txn.and(key, target, '==', value)
  return txn
}

interface Pending {
  part: TxnPart
  resolve(r: ITxnResponse): void
  reject(err: unknown): void
}

/**
 * Submits parts, committing up to `maxParts` in one transaction (etcd takes at most 128 compares and
 * 128 operations in one, so `maxParts` × the larger of the two must stay below that).
 */
export function groupCommit(client: Etcd3, maxParts: number): (part: TxnPart) => Promise<ITxnResponse> {
  const queue: Pending[] = []
  let draining = false

  const alone = (p: Pending) =>
    transaction(client, p.part.compares)
      .then(...p.part.success())
      .else(...(p.part.failure?.() ?? []))
      .commit()
      .then(p.resolve, p.reject)

  const commit = async (batch: Pending[]) => {
    if (batch.length === 1) return alone(batch[0] as Pending)
    const ops = batch.map((p) => p.part.success())
    const result = await transaction(
      client,
      batch.flatMap((p) => p.part.compares),
    )
      .then(...ops.flat())
      .commit()
      .catch(() => undefined)
    if (!result?.succeeded) return Promise.all(batch.map(alone))
    let at = 0
    batch.forEach((p, i) => {
      const n = ops[i]?.length ?? 0
      p.resolve({ ...result, responses: result.responses.slice(at, at + n) })
      at += n
    })
  }

  const drain = async () => {
    while (queue.length > 0) await commit(queue.splice(0, maxParts))
    draining = false
  }

  return (part) =>
    new Promise<ITxnResponse>((resolve, reject) => {
      queue.push({ part, resolve, reject })
      if (draining) return
      draining = true
      // What else is submitted in this turn joins the first commit.
      setImmediate(() => void drain())
    })
}
