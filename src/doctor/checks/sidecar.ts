import { join } from 'node:path'
import { SIDECAR } from '../../stores/claudeCodeStore.js'
import { isRecord, readJson } from './jsonFile.js'

export interface Sidecar {
  host: string
  refreshTokenSha256: string
  state: string | undefined
  stateReason: string | undefined
}

/** What authkeep noted beside Claude's file; undefined when absent or not in its shape. */
export async function readSidecar(configDir: string): Promise<Sidecar | undefined> {
  const read = await readJson(join(configDir, SIDECAR))
  if (read.state !== 'json' || !isRecord(read.value)) return undefined
  const { host, refresh_token_sha256, state, state_reason } = read.value
  if (typeof host !== 'string' || typeof refresh_token_sha256 !== 'string') return undefined
  return {
    host,
    refreshTokenSha256: refresh_token_sha256,
    state: typeof state === 'string' ? state : undefined,
    stateReason: typeof state_reason === 'string' ? state_reason : undefined,
  }
}
