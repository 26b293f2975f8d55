import { access } from 'node:fs/promises'
import type { Deps } from '../deps.js'
import { AuthkeepError } from '../errors.js'
import { isFresh } from '../oauth/tokenResponse.js'
import { printable } from '../printable.js'
import { CLAUDE_CODE } from '../profiles/claudeCode.js'
import { CODEX } from '../profiles/codex.js'
import { type Config, configuredProfiles } from '../profiles/configFile.js'
import { COPILOT } from '../profiles/copilot.js'
import { GEMINI } from '../profiles/gemini.js'
import type { Profile } from '../profiles/profile.js'
import type { Credential } from '../stores/credential.js'

export type LoginState = 'valid' | 'expiring' | 'expired' | 'login_required' | 'logged_out' | 'unreadable'

/** One row of `status`, in the names `--json` prints. Never holds a secret. */
export interface StatusEntry {
  profile: string
  state: LoginState
  issuer: string | undefined
  access_token_expires_at: string | null
  refresh_token: boolean
  refresh_token_expires_at: string | null
  stored_in: string | null
  other_host: string | null
  detail: string | null
  next: string | null
  /** What the keep-alive daemon raised for this profile: its login ends soon, or refreshing keeps failing. */
  keepalive_warnings: Array<{ reason: string; detail: string; since: string }>
}

export async function profileStatus(deps: Deps, profile: Profile): Promise<StatusEntry> {
  const base = {
    profile: profile.name,
    issuer: profile.issuer ?? new URL(profile.endpoints.token).origin,
    access_token_expires_at: null,
    refresh_token: false,
    refresh_token_expires_at: null,
    stored_in: null,
    other_host: null,
    detail: null,
    next: null,
    keepalive_warnings: [],
  }
  const login = `authkeep login --profile ${profile.name}`
  let c: Credential | undefined
  try {
    c = await deps.credentialsOf(profile).read()
  } catch (err) {
    if (!(err instanceof AuthkeepError)) throw err
    return { ...base, state: 'unreadable', detail: err.message, next: err.next ?? null }
  }
  if (!c) return { ...base, state: 'logged_out', detail: 'no login stored', next: login }
  const now = deps.clock.now()
  const expired = c.expiresAt !== undefined && c.expiresAt <= now
  const state: LoginState =
    c.state === 'login_required' || (expired && !c.refreshToken)
      ? 'login_required'
      : expired
        ? 'expired'
        : isFresh(c, now, profile.refreshMarginSeconds)
          ? 'valid'
          : 'expiring'
  return {
    ...base,
    state,
    access_token_expires_at: c.expiresAt?.toISOString() ?? null,
    refresh_token: c.refreshToken !== undefined,
    refresh_token_expires_at: c.refreshExpiresAt?.toISOString() ?? null,
    stored_in: deps.credentialsOf(profile).describe(c),
    // A rotating refresh token copied to a second machine logs both out at the first refresh.
    other_host: c.host !== deps.host ? printable(c.host, 128) : null,
    detail:
      state === 'login_required'
        ? // A reason stored by an older release may hold what the server sent raw: shown escaped, in JSON too.
          printable(c.stateReason ?? 'the access token expired and there is no refresh token')
        : state === 'expired'
          ? 'the access token expired; the next `authkeep token` refreshes it'
          : profile.kind === 'copilot'
            ? 'a GitHub token: it has no expiry and no refresh token, so authkeep never refreshes it; when GitHub revokes it, log in again'
            : null,
    next: state === 'login_required' ? login : null,
  }
}

/**
 * The profiles `status` (and keep-alive) take by default: those in the config file, plus each built-in
 * whose client keeps a login here (Claude Code's, Codex's, Gemini's, Copilot's file), and the built-in
 * claude-code profile when nothing else is configured.
 */
export async function profilesInUse(deps: Deps, config: Config): Promise<Profile[]> {
  const configured = configuredProfiles(config)
  const builtins: Profile[] = []
  for (const name of [CLAUDE_CODE, CODEX, GEMINI, COPILOT]) {
    const builtin = config.profiles.get(name)
    if (!builtin || configured.includes(builtin)) continue
    const store = deps.credentialsOf(builtin)
    const present =
      store.file !== undefined &&
      (await access(store.file).then(
        () => true,
        () => false,
      ))
    // Copilot's config.json is there for its settings too: only a login in it (or a broken file) counts.
    const inUse =
      present && (builtin.kind !== 'copilot' || (await store.read().catch(() => null)) !== undefined)
    if (inUse || (name === CLAUDE_CODE && configured.length === 0)) builtins.push(builtin)
  }
  return [...builtins, ...configured]
}
