import { createInterface } from 'node:readline'
import type { Io } from './io.js'

export interface Prompter {
  /** Shows the question on stderr and reads one line from stdin (a terminal or a pipe). */
  line(question: string, signal?: AbortSignal): Promise<string>
}

export function stdinPrompter(io: Io): Prompter {
  return {
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
}
