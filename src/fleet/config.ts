// The fleet section of config.json: where the etcd cluster is, how this machine authenticates to it
// (TLS client certificate: its CN is this machine's etcd user), the key prefix, this machine's name, and
// on a host the fleet-backed profiles it serves. The machine's own X25519 key is a 0600 file in state.
import { join } from 'node:path'
import * as z from 'zod/mini'
import { ConfigError } from '../errors.js'
import type { Paths } from '../profiles/paths.js'
import { isLoopbackHost, PROFILE_NAME } from '../profiles/profile.js'
import { validate } from '../validation.js'

export const DEFAULT_PREFIX = '/authkeep/v1/'
export const FLEET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export const fleetSchema = z.object({
  endpoints: z.array(z.string()).check(z.minLength(1)),
  ca_file: z.optional(z.string().check(z.minLength(1))),
  cert_file: z.optional(z.string().check(z.minLength(1))),
  key_file: z.optional(z.string().check(z.minLength(1))),
  prefix: z.string().check(z.regex(/^\/[\x21-\x7e]*\/$/, 'must start and end with "/"')),
  name: z.string().check(z.regex(FLEET_NAME, 'is not a valid machine name')),
  profiles: z.array(z.string().check(z.regex(PROFILE_NAME, 'is not a valid profile name'))),
})
export type FleetRecord = z.output<typeof fleetSchema>

export interface FleetConfig {
  endpoints: string[]
  tls: { caFile: string; certFile: string; keyFile: string } | undefined
  prefix: string
  name: string
  profiles: string[]
  /** This machine's X25519 private key (PEM, 0600). */
  machineKeyFile: string
}

const INIT = 'authkeep fleet init --endpoints URL --name NAME --ca FILE --cert FILE --key FILE'

/** Plain http only to this machine; anything else needs TLS with a client certificate. */
export function endpointProblem(url: string, tls: boolean): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'must be an absolute URL such as https://etcd1:2379'
  }
  if (parsed.protocol === 'https:') return tls ? undefined : 'is https:// but no --ca/--cert/--key were given'
  if (parsed.protocol !== 'http:') return 'must be an https:// URL'
  if (!isLoopbackHost(parsed.hostname))
    return 'uses plain http:// to another machine; use https:// with --ca, --cert and --key'
  return undefined
}

export function machineKeyFile(paths: Paths): string {
  return join(paths.stateDir, 'fleet', 'machine.key')
}

/** The fleet section of an already loaded config.json, or undefined when this machine is in no fleet. */
export function fleetConfig(paths: Paths, raw: Record<string, unknown>): FleetConfig | undefined {
  if (raw.fleet === undefined) return undefined
  const r = validate(paths.configFile, { fleet: raw.fleet }, z.object({ fleet: fleetSchema }), INIT).fleet
  const files = [r.ca_file, r.cert_file, r.key_file]
  const tls = files.every((f) => f !== undefined)
  if (!tls && files.some((f) => f !== undefined))
    throw new ConfigError(
      paths.configFile,
      'field "fleet": ca_file, cert_file and key_file go together',
      INIT,
    )
  for (const [i, url] of r.endpoints.entries()) {
    const problem = endpointProblem(url, tls)
    if (problem) throw new ConfigError(paths.configFile, `field "fleet.endpoints.${i}": ${problem}`, INIT)
  }
  return {
    endpoints: r.endpoints,
    tls: tls
      ? { caFile: r.ca_file as string, certFile: r.cert_file as string, keyFile: r.key_file as string }
      : undefined,
    prefix: r.prefix,
    name: r.name,
    profiles: r.profiles,
    machineKeyFile: machineKeyFile(paths),
  }
}

export function requireFleet(paths: Paths, raw: Record<string, unknown>): FleetConfig {
  const fleet = fleetConfig(paths, raw)
  if (!fleet)
    throw new ConfigError(paths.configFile, 'this machine is in no fleet (no "fleet" section)', INIT)
  return fleet
}
