import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'

/**
 * A short, stable fingerprint of this machine, written with every record so that a credential copied to
 * another machine can be recognised (a rotating refresh token must not live in two places).
 */
export function hostFingerprint(): string {
  let machineId = ''
  for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      machineId = readFileSync(file, 'utf8').trim()
      break
    } catch {}
  }
  return `${hostname()}#${createHash('sha256').update(`${hostname()}\n${machineId}`).digest('hex').slice(0, 12)}`
}
