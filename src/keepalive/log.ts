import type { Clock } from '../ports/clock.js'

export type Log = (
  event: string,
  fields?: Record<string, string | number | boolean | null | undefined>,
) => void

/** A value on a log line: bare when it is one word, else JSON-quoted so the line stays one line. */
function value(v: string | number | boolean): string {
  const s = String(v)
  return /^[\w.:+\-/@]+$/.test(s) ? s : JSON.stringify(s)
}

/** One line per event, `<ISO time> <event> key=value…`; callers pass no secrets, only names and times. */
export function createLog(write: (line: string) => void, clock: Clock): Log {
  return (event, fields = {}) => {
    const parts = Object.entries(fields)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${k}=${value(v as string | number | boolean)}`)
    write(`${clock.now().toISOString()} ${[event, ...parts].join(' ')}\n`)
  }
}

/** Turns free text (what the refresh protocol prints about retries and locks) into timestamped lines. */
export function timestamped(write: (line: string) => void, clock: Clock): (text: string) => void {
  return (text) => {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue
      write(`${clock.now().toISOString()} ${line.replace(/^authkeep: /, 'note ')}\n`)
    }
  }
}
