import { createInterface } from 'node:readline'
import { CancelledError, NoInputError, UsageError } from '../errors.js'
import type { Io } from './io.js'

/** No answer is this long (a redirect URL is a few KiB): more is a mistake, refused before it fills memory. */
export const MAX_ANSWER_BYTES = 64 * 1024

export interface Prompter {
  /** Shows the question on stderr and reads one line from stdin (a terminal or a pipe). */
  line(question: string, signal?: AbortSignal): Promise<string>
  /** Like line, but a terminal does not echo what is typed; from a pipe it reads the first line. */
  secret(question: string): Promise<string>
}

/** Reads keystrokes in raw mode so nothing is echoed; Enter ends, Ctrl-C cancels, Ctrl-D ends the input. */
function readHidden(io: Io, question: string, rerun: string): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream
  io.err(question)
  return new Promise((resolve, reject) => {
    let value = ''
    const done = (fn: () => void) => {
      stdin.off('data', onData)
      stdin.setRawMode?.(false)
      stdin.pause()
      io.err('\n')
      fn()
    }
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(() => resolve(value))
        if (ch === '\u0003') return done(() => reject(new CancelledError('cancelled at the prompt', rerun)))
        if (ch === '\u0004') return done(() => reject(new NoInputError(rerun)))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
        if (value.length > MAX_ANSWER_BYTES) return done(() => reject(tooLong(rerun)))
      }
    }
    stdin.setRawMode?.(true)
    stdin.resume()
    stdin.on('data', onData)
  })
}

const tooLong = (rerun: string) =>
  new UsageError(`the answer is longer than ${MAX_ANSWER_BYTES / 1024} KiB; nothing was stored`, rerun)

/** `rerun` is the command to run again when stdin gives no answer: the one running now. */
export function stdinPrompter(io: Io, rerun: string): Prompter {
  const prompter: Prompter = {
    secret(question) {
      return io.stdinIsTTY ? readHidden(io, question, rerun) : prompter.line('')
    },
    line(question, signal) {
      io.err(question)
      return new Promise((resolve, reject) => {
        const rl = createInterface({ input: io.stdin, terminal: false })
        let done = false
        let bytes = 0
        // After readline's own listener: a line complete in this chunk has been answered already.
        const count = (chunk: Buffer | string) => {
          bytes += chunk.length
          if (bytes > MAX_ANSWER_BYTES) finish(() => reject(tooLong(rerun)))
        }
        const finish = (fn: () => void) => {
          if (done) return
          done = true
          io.stdin.off('data', count)
          rl.close()
          fn()
        }
        io.stdin.on('data', count)
        rl.once('line', (line) => finish(() => resolve(line)))
        rl.once('close', () => finish(() => reject(new NoInputError(rerun))))
        signal?.addEventListener('abort', () => finish(() => reject(signal.reason)), { once: true })
      })
    },
  }
  return prompter
}
