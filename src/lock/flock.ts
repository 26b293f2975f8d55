import { spawn } from 'node:child_process'
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { AuthkeepError } from '../errors.js'
import { ensurePrivateDir } from '../files/atomicFile.js'
import { LockBusyError, type LockOptions } from './fileLock.js'

const BUSY = 75 // EX_TEMPFAIL: flock(1)'s exit code here when the lock is held

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Runs `fn` holding an exclusive flock(2) lock on `file`, the kind Codex takes on its auth.json.lock.
 * Node has no flock(2); util-linux's flock(1) takes the lock on a descriptor this process opened and
 * passed down, then exits: the lock belongs to the open file, so it stays held by this process until
 * the descriptor is closed, and the kernel drops it if this process dies. No native addon to build.
 * A busy lock is tried again in short steps (or after `whileWaiting`) up to `timeoutMs`.
 */
export async function withFlock<T>(file: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  await ensurePrivateDir(dirname(file))
  const handle = await open(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600)
  try {
    const started = Date.now()
    while (!(await tryLock(handle.fd, file))) {
      const waited = Date.now() - started
      if (waited >= opts.timeoutMs) throw new LockBusyError(file, waited)
      opts.signal?.throwIfAborted()
      await (opts.whileWaiting?.() ?? sleep(15 + Math.random() * 60))
    }
    return await fn()
  } finally {
    // Closing the only descriptor of the open file releases the lock.
    await handle.close()
  }
}

/** One attempt: true when this process now holds the lock on `fd`. */
function tryLock(fd: number, file: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['--exclusive', '--nonblock', '--conflict-exit-code', String(BUSY), '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    })
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new AuthkeepError(
              `cannot lock ${file}: flock(1) from util-linux is not installed, and Codex's own lock must be held to refresh its login`,
              { next: 'sudo apt-get install util-linux' },
            )
          : err,
      )
    })
    child.once('close', (code) => {
      if (code === 0 || code === BUSY) return resolve(code === 0)
      reject(
        new AuthkeepError(`cannot lock ${file}: flock exited ${code} (${stderr.trim() || 'no message'})`),
      )
    })
  })
}

/** True while another process holds an exclusive flock(2) lock on `file` (false when there is no file). */
export function isFlocked(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(
      'flock',
      ['--nonblock', '--shared', '--conflict-exit-code', String(BUSY), file, 'true'],
      {
        stdio: 'ignore',
      },
    )
    child.once('error', () => resolve(false))
    child.once('close', (code) => resolve(code === BUSY))
  })
}
