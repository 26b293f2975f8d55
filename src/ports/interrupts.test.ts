import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import { processInterrupts, type StopSignal } from './interrupts.js'

/** A process stand-in: signals are emitted by hand, exit is recorded instead of taken. */
function fakeHost() {
  const events = new EventEmitter()
  const host = {
    exits: [] as number[],
    stderr: '',
    on: (s: StopSignal, l: () => void) => events.on(s, l),
    off: (s: StopSignal, l: () => void) => events.off(s, l),
    exit: (code: number) => {
      host.exits.push(code)
      return undefined
    },
    send: (s: StopSignal) => events.emit(s),
    listeners: (s: StopSignal) => events.listenerCount(s),
  }
  return host
}

test('a signal during a step waits for it, then exits with 128 + its number', async () => {
  const host = fakeHost()
  const interrupts = processInterrupts(host, (t) => {
    host.stderr += t
  })
  let finish = () => {}
  let aborted = false
  const step = interrupts.shield(
    async (signal) => {
      await new Promise<void>((r) => (finish = r))
      aborted = signal.aborted
      return 'saved'
    },
    () => 'kept',
  )
  host.send('SIGTERM')
  assert.deepEqual(host.exits, [], 'no exit while the step runs')
  finish()
  assert.equal(await step, 'saved')
  assert.equal(aborted, true, 'the step is told, so it starts nothing new')
  assert.deepEqual(host.exits, [143])
  assert.match(host.stderr, /SIGTERM: saving the token refresh in flight first/)
  assert.equal(host.listeners('SIGTERM'), 0, 'outside a step a signal keeps its default effect')
})

test('a second signal exits at once and says what was kept', async () => {
  const host = fakeHost()
  const interrupts = processInterrupts(host, (t) => {
    host.stderr += t
  })
  let finish = () => {}
  const step = interrupts.shield(
    () => new Promise<void>((r) => (finish = r)),
    () => 'the record is as it was',
  )
  host.send('SIGINT')
  host.send('SIGHUP')
  assert.deepEqual(host.exits, [129])
  assert.match(host.stderr, /SIGHUP again: exiting now; the record is as it was\n$/)
  finish()
  await step
})

test('a signal a command took stops the command, not the step; settled() waits for the step', async () => {
  const host = fakeHost()
  const interrupts = processInterrupts(host, () => {})
  const stops: string[] = []
  interrupts.handle('SIGTERM', () => stops.push('stop'))
  interrupts.handle('SIGHUP', () => stops.push('reload'), { stops: false })
  let finish = () => {}
  const step = interrupts.shield(
    () => new Promise<void>((r) => (finish = r)),
    () => '',
  )
  host.send('SIGHUP')
  host.send('SIGHUP')
  assert.deepEqual(host.exits, [], 'a reload is no stop: two of them exit nothing')
  host.send('SIGTERM')
  assert.deepEqual(stops, ['reload', 'reload', 'stop'])
  let settled = false
  const idle = interrupts.settled().then(() => {
    settled = true
  })
  await new Promise((r) => setImmediate(r))
  assert.equal(settled, false)
  finish()
  await step
  await idle
  assert.deepEqual(host.exits, [], 'the command exits by itself')
  assert.equal(host.listeners('SIGTERM'), 1, "a command's listener stays (signal-exit would re-raise)")
})
