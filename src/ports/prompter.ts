import { createInterface } from 'node:readline'
import type { Io } from './io.js'

export interface Prompter {
  /** Shows the question on stderr and reads one line from stdin (a terminal or a pipe). */
  line(question: string, signal?: AbortSignal): Promise<string>
  /** Like line, but a terminal does not echo what is typed; from a pipe it reads the first line. */
  secret(question: string): Promise<string>
}

/** Reads keystrokes in raw mode so nothing is echoed; Enter ends, Ctrl-C/Ctrl-D abort. */
function readHidden(io: Io, question: string): Promise<string> {
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
        if (ch === '\u0003' || ch === '\u0004') return done(() => reject(new Error('cancelled')))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
      }
    }
    stdin.setRawMode?.(true)
    stdin.resume()
    stdin.on('data', onData)
  })
}

export function stdinPrompter(io: Io): Prompter {
  const prompter: Prompter = {
    secret(question) {
      return io.stdinIsTTY ? readHidden(io, question) : prompter.line('')
    },
    line(question, signal) {
      io.err(question)
      return new Promise((resolve, reject) => {
        const rl = createInterface({ input: io.stdin, terminal: false })
        let done = false
        const finish = (fn: () => void) => {
          if (done) return
          done = true
          rl.close()
          fn()
        }
        rl.once('line', (line) => finish(() => resolve(line)))
        rl.once('close', () => finish(() => reject(new Error('stdin closed before an answer was given'))))
        signal?.addEventListener('abort', () => finish(() => reject(signal.reason)), { once: true })
      })
    },
  }
  return prompter
}
