import type { Io } from '../ports/io.js'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** A spinner on stderr, only on a terminal: logs and pipes get the message once instead. */
export function startSpinner(io: Io, message: string): { stop(final?: string): void } {
  if (!io.stderrIsTTY) {
    io.err(`${message}\n`)
    return { stop: (final) => final && io.err(`${final}\n`) }
  }
  let i = 0
  const timer = setInterval(() => io.err(`\r${FRAMES[i++ % FRAMES.length]} ${message}`), 100)
  return {
    stop(final) {
      clearInterval(timer)
      io.err(`\r\x1b[2K${final ? `${final}\n` : ''}`)
    },
  }
}
