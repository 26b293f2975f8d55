import type { Deps } from '../deps.js'
import { type ProfileState, readState, type StateWarning, stateFile } from '../keepalive/state.js'
import { liveDaemon } from './keepaliveRun.js'

export interface KeepaliveStatusReport {
  state_file: string
  daemon: {
    running: boolean
    pid: number
    started_at: string
    heartbeat_at: string
    stopped_at: string | null
    warn_days: number
    notify_command: boolean
  } | null
  profiles: Array<{ profile: string } & ProfileState>
}

/** What the daemon last wrote, and whether it still runs. No state file: the daemon never ran here. */
export async function keepaliveStatus(deps: Deps): Promise<KeepaliveStatusReport> {
  const state = await readState(deps.paths)
  const file = stateFile(deps.paths)
  if (!state) return { state_file: file, daemon: null, profiles: [] }
  const running = (await liveDaemon(state, deps.pid)) !== undefined || state.daemon.pid === deps.pid
  return {
    state_file: file,
    daemon: { running, ...state.daemon },
    profiles: Object.entries(state.profiles)
      .map(([profile, st]) => ({ profile, ...st }))
      .sort((a, b) => a.profile.localeCompare(b.profile)),
  }
}

/** The keep-alive warnings per profile, for `authkeep status` to show beside each login. */
export async function keepaliveWarnings(deps: Deps): Promise<Map<string, StateWarning[]>> {
  const state = await readState(deps.paths).catch(() => undefined)
  return new Map(Object.entries(state?.profiles ?? {}).map(([name, st]) => [name, st.warnings]))
}
