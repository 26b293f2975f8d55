import type { Profile } from '../profiles/profile.js'

export type Severity = 'ok' | 'info' | 'warning' | 'error'
export const SEVERITY_ORDER: Severity[] = ['ok', 'info', 'warning', 'error']

/** One thing doctor noticed, in the names `--json` prints. Never holds a secret: values are masked. */
export interface Finding {
  /** Stable, dotted: `credentials.mode`, `env.anthropic_api_key`. */
  id: string
  severity: Severity
  /** What was found, concretely (paths, variable names, masked values). */
  found: string
  /** Why it breaks (or may break) the login. */
  why: string
  /** The exact command that fixes it, or null when there is nothing to do. */
  fix: string | null
  /** True when `doctor --fix` may apply the fix by itself: it is safe, reversible and announced. */
  autofix: boolean
}

/** Facts a check may read; built once per run in the use case, replaced by fixtures in unit tests. */
export interface DoctorContext {
  profile: Profile
  env: NodeJS.ProcessEnv
  home: string
  uid: number
  /** This machine's fingerprint, as written into records and beside Claude's file. */
  host: string
  now: Date
  /** claude-code: Claude's config dir and credential file. Other profiles: authkeep's record file. */
  configDir: string | undefined
  credentialFile: string
  online: boolean
  /**
   * For the --online checks: one forced refresh through the same protocol as `token` (lock, re-read,
   * adopt or refresh, write back), so a peer's refresh is adopted, never raced.
   */
  refreshNow: (() => Promise<void>) | undefined
}

export interface Check {
  id: string
  /** What the check looks at, for `doctor --list`. */
  title: string
  /** Only for these profile kinds; all when absent. */
  kinds?: Profile['kind'][]
  run(ctx: DoctorContext): Promise<Finding[]>
  /** Applies the fix of a finding this check made; returns what it did, for the announcement. */
  fix?(ctx: DoctorContext, finding: Finding): Promise<string>
}

export function finding(
  id: string,
  severity: Severity,
  found: string,
  why: string,
  fix: string | null,
  autofix = false,
): Finding {
  return { id, severity, found, why, fix, autofix }
}
