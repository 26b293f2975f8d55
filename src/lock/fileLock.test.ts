import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, test } from 'node:test'
import { LockBusyError, withFileLock } from './fileLock.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authkeep-lock-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

test('holders never overlap', async () => {
  const lock = join(dir, 'p.lock')
  let inside = 0
  let maxInside = 0
  await Promise.all(
    Array.from({ length: 8 }, () =>
      withFileLock(lock, { timeoutMs: 10_000 }, async () => {
        inside++
        maxInside = Math.max(maxInside, inside)
        await new Promise((r) => setTimeout(r, 10))
        inside--
      }),
    ),
  )
  assert.equal(maxInside, 1)
})

test('waiting is bounded', async () => {
  const lock = join(dir, 'p.lock')
  await withFileLock(lock, { timeoutMs: 1000 }, async () => {
    await assert.rejects(
      withFileLock(lock, { timeoutMs: 200 }, async () => {}),
      (e: LockBusyError) => e instanceof LockBusyError && e.waitedMs >= 200,
    )
  })
})

test('a lock left by a crashed process is taken over once stale', async () => {
  const lock = join(dir, 'p.lock')
  await mkdir(lock)
  const old = new Date(Date.now() - 60_000)
  await utimes(lock, old, old)
  let ran = false
  await withFileLock(lock, { timeoutMs: 1000, staleMs: 10_000 }, async () => {
    ran = true
  })
  assert.ok(ran)
})
