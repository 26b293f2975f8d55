import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { answerKeepingFetch, awakeTimer } from './answerKeepingFetch.js'

/** The process stopped for `ms` as far as its timers can tell (SIGSTOP looks the same to them). */
function stall(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}

const post = { method: 'POST', headers: {}, body: 'grant_type=refresh_token', redirect: 'manual' } as const
const answer = () => new Response('{"access_token":"a"}', { headers: { 'content-type': 'application/json' } })

/** A fetch that answers when `answerNow` is called, and fails when its signal aborts first. */
function heldFetch() {
  let answerNow = () => {}
  const fetch = (_: unknown, init?: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      answerNow = () => resolve(answer())
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
    })
  return { fetch, answer: () => answerNow() }
}

describe("the refresher's HTTP timeout", () => {
  it('does not count a stall: time the process did not run leaves the timeout whole', async () => {
    let expired = false
    const cancel = awakeTimer(400, () => {
      expired = true
    })
    stall(1500)
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(expired, false, 'expired at the first turn after the stall')
    for (let i = 0; i < 100 && !expired; i++) await new Promise((r) => setTimeout(r, 50))
    assert.equal(expired, true, 'never expired')
    cancel()
  })

  it('keeps an answer that arrives just after a pause longer than the timeout', async () => {
    const held = heldFetch()
    const call = answerKeepingFetch(held.fetch, 300)('http://127.0.0.1:9/token', post)
    stall(1500)
    setTimeout(held.answer, 50)
    const response = await call
    assert.deepEqual(await response.json(), { access_token: 'a' })
  })

  it('gives up on a server that never answers, as a timeout', async () => {
    const held = heldFetch()
    await assert.rejects(answerKeepingFetch(held.fetch, 200)('http://127.0.0.1:9/token', post), {
      name: 'TimeoutError',
    })
  })
})
