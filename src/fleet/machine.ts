// This machine's place in the fleet: the config.json section and its X25519 key (a 0600 file).
import { dirname } from 'node:path'
import { ConfigError } from '../errors.js'
import { ensurePrivateDir, readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import { loadConfig } from '../profiles/configFile.js'
import type { Paths } from '../profiles/paths.js'
import { type FleetConfig, requireFleet } from './config.js'
import { DecryptError, generateMachineKey, type MachineKey, machineKeyFromPem } from './crypto.js'

export interface Machine {
  fleet: FleetConfig
  me: MachineKey
}

export async function readMachineKey(file: string): Promise<MachineKey | undefined> {
  const pem = await readFileIfExists(file, { symlinks: 'refuse' })
  if (pem === undefined) return undefined
  try {
    return machineKeyFromPem(pem)
  } catch (err) {
    if (err instanceof DecryptError || err instanceof Error)
      throw new ConfigError(file, 'is not an X25519 private key', `rm ${file} && authkeep fleet init ...`)
    throw err
  }
}

/** The machine key, made on first use (fleet init). */
export async function ensureMachineKey(file: string): Promise<MachineKey> {
  const existing = await readMachineKey(file)
  if (existing) return existing
  const { pem, key } = generateMachineKey()
  await ensurePrivateDir(dirname(file))
  await writeFileAtomic(file, pem)
  return key
}

export async function loadMachine(paths: Paths): Promise<Machine> {
  const config = await loadConfig(paths)
  const fleet = requireFleet(paths, config.raw as Record<string, unknown>)
  const me = await readMachineKey(fleet.machineKeyFile)
  if (!me)
    throw new ConfigError(
      fleet.machineKeyFile,
      'is missing: this machine has no fleet key',
      'authkeep fleet init',
    )
  return { fleet, me }
}
