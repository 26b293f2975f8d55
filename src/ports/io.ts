import type { Readable } from 'node:stream'

/** The terminal as the use cases see it. stdout is for machine output only. */
export interface Io {
  out(text: string): void
  err(text: string): void
  stdin: Readable
  stdinIsTTY: boolean
  stderrIsTTY: boolean
}

/** Collects output in memory; for unit tests. */
export function bufferIo(stdin: Readable, tty = false): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    stdin,
    stdinIsTTY: tty,
    stderrIsTTY: tty,
    out(text: string) {
      io.stdout += text
    },
    err(text: string) {
      io.stderr += text
    },
  }
  return io
}
