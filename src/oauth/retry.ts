import { describeFailure } from './protocolErrors.js'

export interface RetryPolicy {
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 500, maxDelayMs: 5_000 }

/**
 * Retries transient server failures (network, 5xx, 429) with exponential backoff and jitter, honouring
 * Retry-After up to the cap. Anything the server answered definitively is thrown at once.
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  onRetry: (delayMs: number, err: unknown) => void,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      const failure = describeFailure(err)
      // An interrupted command starts no new attempt: it ends with what it has.
      if (!failure?.transient || attempt >= policy.attempts || signal?.aborted) throw err
      const backoff = policy.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2)
      const asked = failure.retryAfterSeconds === undefined ? 0 : failure.retryAfterSeconds * 1000
      const delay = Math.min(policy.maxDelayMs, Math.max(backoff, asked))
      onRetry(delay, err)
      await pause(delay, signal)
      if (signal?.aborted) throw err
    }
  }
}

/** Waits `ms`, or less when `signal` aborts meanwhile. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}
