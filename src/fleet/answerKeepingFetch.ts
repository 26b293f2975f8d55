// The refresher's HTTP timeout, made so it cannot throw away a refresh the server has answered: once the
// server has taken a refresh token, its answer holds the only live one. Two traps of a plain timer, both
// met after a pause (SIGSTOP, a suspended VM), when the wall clock has run far past the timeout:
// - Node runs due timers before it reads sockets, so an answer already waiting in the socket is dropped;
// - an answer arriving a moment after the resume is dropped too (measured: the fleetTakeover case
//   "resumed within the grace period" lost all 4 held answers when they reached the socket a few ms
//   after SIGCONT; openid-client reported the abort as "something went wrong").
// So the timeout counts only time this process ran, and its abort waits one more turn of the event loop.
import { performance } from 'node:perf_hooks'
import type * as oidc from 'openid-client'

/**
 * Calls `onExpire` once `ms` of this process's running time has passed. A step that took far longer than
 * asked (the process was stopped, or starved) counts as one step, so a pause does not use up the time.
 * Returns a function that cancels it.
 */
export function awakeTimer(ms: number, onExpire: () => void): () => void {
  const step = Math.min(250, Math.max(10, ms / 8))
  const stall = Math.max(4 * step, 1000)
  let spent = 0
  let last = performance.now()
  let timer: NodeJS.Timeout
  const tick = () => {
    const now = performance.now()
    const took = now - last
    last = now
    spent += took > stall ? step : took
    if (spent >= ms) onExpire()
    else timer = setTimeout(tick, Math.min(step, ms - spent))
  }
  timer = setTimeout(tick, Math.min(step, ms))
  return () => clearTimeout(timer)
}

/**
 * A fetch that gives up after `ms` of running time with no complete answer, read whole (status, headers
 * and body) before it returns, so nothing after it can time out. On expiry the abort runs after the next
 * poll phase (setImmediate), which delivers whatever the socket already holds.
 */
export function answerKeepingFetch(inner: oidc.CustomFetch, ms: number): oidc.CustomFetch {
  return async (input, init) => {
    const ac = new AbortController()
    const cancel = awakeTimer(ms, () =>
      setImmediate(() => ac.abort(new DOMException('the token endpoint timed out', 'TimeoutError'))),
    )
    try {
      const response = await inner(input, { ...init, signal: ac.signal })
      const noBody = response.status === 204 || response.status === 304
      const body = noBody ? null : await response.arrayBuffer()
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      })
    } finally {
      cancel()
    }
  }
}
