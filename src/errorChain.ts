import { printable } from './printable.js'
import { maskIn, type Secret } from './secret.js'

/**
 * An unexpected error for a log line: each link of its cause chain as `Class: first line of message`,
 * outermost first ("ClientError: something went wrong ← TimeoutError: …"). Only Error causes are followed
 * (a protocol error's cause may be the server's answer); the secrets given are masked.
 */
export function errorChain(err: unknown, secrets: readonly (Secret | undefined)[] = []): string {
  const links: string[] = []
  for (let e: unknown = err, i = 0; e !== undefined && i < 4; i++) {
    if (!(e instanceof Error)) {
      if (i === 0) links.push(String(e))
      break
    }
    // A subclass that does not set its name still says which it is.
    const kind = e.name && e.name !== 'Error' ? e.name : e.constructor.name
    links.push(`${kind}: ${e.message.split('\n')[0]}`)
    e = e.cause
  }
  return printable(maskIn(links.join(' ← '), secrets), 400)
}
