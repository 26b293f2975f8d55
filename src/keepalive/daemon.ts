import { AuthkeepError, LoginRequiredError } from '../errors.js'
import { describeFailure } from '../oauth/protocolErrors.js'
import type { Clock } from '../ports/clock.js'
import type { Profile } from '../profiles/profile.js'
import { mask } from '../secret.js'
import type { Credential } from '../stores/credential.js'
import type { TokenResult } from '../stores/usable.js'
import type { Log } from './log.js'
import type { Notifier } from './notify.js'
import { type Backoff, backoffDelay, loginEndsAt, refreshDeadline } from './schedule.js'
import { emptyProfileState, type KeepaliveState, type ProfileState, type WarningReason } from './state.js'

/** What the daemon does to the world: functions, so a test drives it with a fake clock and store. */
export interface KeepAlivePorts {
  clock: Clock
  /** This process, written into the state file. */
  pid: number
  read(profile: Profile): Promise<Credential | undefined>
  /**
   * The refresh protocol under the credential's lock, for the version `seen`: a newer one a peer wrote
   * (Claude Code, `authkeep token`, another daemon) is adopted, not refreshed again.
   */
  refresh(profile: Profile, seen: Credential): Promise<TokenResult>
  saveState(state: KeepaliveState): Promise<void>
}

export interface KeepAliveOptions {
  warnDays: number
  notify: Notifier | undefined
  backoff: Backoff
  /** Consecutive failures after which `refresh_failing` is raised. */
  failuresToWarn: number
  /** The longest sleep: bounds how stale the heartbeat gets and how late a deadline is after a suspend. */
  maxSleepMs: number
  random: () => number
}

export const DEFAULT_KEEPALIVE: Omit<KeepAliveOptions, 'warnDays' | 'notify'> = {
  backoff: { minMs: 10_000, maxMs: 30 * 60_000 },
  failuresToWarn: 3,
  maxSleepMs: 60 * 60_000,
  random: Math.random,
}

const DAY_MS = 86_400_000
// A token whose next deadline is already past right after a refresh (a server issuing near-zero
// lifetimes) must not turn the daemon into a busy loop.
const MIN_GAP_MS = 1_000

interface Entry {
  profile: Profile
  st: ProfileState
  /** The record version the jitter was drawn for: re-armed wake-ups keep the same deadline. */
  seenUpdatedAt: number | undefined
  jitter: number
  retryAt: number | undefined
  /** The record version that failed to refresh: a peer's newer record ends the backoff. */
  failedOn: number | undefined
  wakeAt: number | undefined
}

/**
 * The keep-alive loop: one timer armed for the earliest deadline of all profiles; each wake-up re-reads
 * the config and every record, refreshes what is due through the lock-protected protocol, raises
 * warnings, writes the state file, and re-arms. No polling: between deadlines the process sleeps.
 */
export class KeepAlive {
  readonly #ports: KeepAlivePorts
  readonly #opts: KeepAliveOptions
  readonly #loadProfiles: () => Promise<Profile[]>
  readonly #log: Log
  readonly #entries = new Map<string, Entry>()
  readonly #seed = new Map<string, ProfileState>()
  readonly #daemon: KeepaliveState['daemon']
  #timer: NodeJS.Timeout | undefined
  #cycle: Promise<void> | undefined
  #again = false
  #stopped = false

  constructor(
    ports: KeepAlivePorts,
    opts: KeepAliveOptions,
    loadProfiles: () => Promise<Profile[]>,
    log: Log,
    previous: KeepaliveState | undefined,
  ) {
    this.#ports = ports
    this.#opts = opts
    this.#loadProfiles = loadProfiles
    this.#log = log
    const now = ports.clock.now().toISOString()
    this.#daemon = {
      pid: ports.pid,
      started_at: now,
      heartbeat_at: now,
      stopped_at: null,
      warn_days: opts.warnDays,
      notify_command: opts.notify !== undefined,
    }
    // Warnings already notified, failures and history survive a restart: no second notice per episode.
    for (const [name, st] of Object.entries(previous?.profiles ?? {})) {
      this.#seed.set(name, st)
    }
  }

  /** Runs a cycle now (a deadline, SIGHUP, the start); a call during a cycle runs one more after it. */
  wake(once = false): Promise<void> {
    if (this.#stopped) return Promise.resolve()
    if (this.#cycle) {
      this.#again = true
      return this.#cycle
    }
    this.#cycle = (async () => {
      try {
        do {
          this.#again = false
          try {
            await this.#runCycle(once)
          } catch (err) {
            // A bug in one cycle must not leave the daemon asleep forever: log it and re-arm.
            this.#log('error', { error: messageOf(err) })
          }
        } while (this.#again && !this.#stopped)
      } finally {
        this.#cycle = undefined
      }
      if (!once) this.#arm()
    })()
    return this.#cycle
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#cycle
    this.#daemon.stopped_at = this.#ports.clock.now().toISOString()
    await this.#save()
  }

  /** Profiles and their states, for `--once` to pick its exit code. */
  states(): Array<[string, ProfileState]> {
    return [...this.#entries].map(([name, e]) => [name, e.st])
  }

  async #runCycle(once: boolean): Promise<void> {
    this.#daemon.heartbeat_at = this.#ports.clock.now().toISOString()
    try {
      this.#sync(await this.#loadProfiles())
    } catch (err) {
      // A config being edited may be invalid for a moment: keep watching the profiles known so far.
      this.#log('config_error', { error: messageOf(err) })
    }
    await Promise.all([...this.#entries.values()].map((e) => this.#visit(e, once)))
    await this.#save()
  }

  #sync(profiles: Profile[]): void {
    const names = new Set(profiles.map((p) => p.name))
    for (const name of this.#entries.keys()) {
      if (!names.has(name)) {
        this.#entries.delete(name)
        this.#log('profile_removed', { profile: name })
      }
    }
    for (const profile of profiles) {
      const known = this.#entries.get(profile.name)
      if (known) {
        known.profile = profile
        continue
      }
      this.#entries.set(profile.name, {
        profile,
        st: this.#seed.get(profile.name) ?? emptyProfileState(),
        seenUpdatedAt: undefined,
        jitter: 0,
        retryAt: undefined,
        failedOn: undefined,
        wakeAt: undefined,
      })
    }
  }

  async #visit(e: Entry, once: boolean): Promise<void> {
    e.wakeAt = undefined
    const name = e.profile.name
    let c: Credential | undefined
    try {
      c = await this.#ports.read(e.profile)
    } catch (err) {
      await this.#failed(e, err, undefined, 'unreadable')
      return
    }
    const now = this.#ports.clock.now().getTime()
    const st = e.st
    if (!c) {
      Object.assign(st, { state: 'logged_out', next_refresh_at: null, access_token_expires_at: null })
      st.login_ends_at = null
      this.#clearWarnings(e, ['login_required', 'login_ending', 'refresh_failing'])
      return
    }
    this.#describe(st, c)
    if (c.state === 'login_required') {
      st.state = 'login_required'
      st.next_refresh_at = null
      this.#clearWarnings(e, ['refresh_failing', 'login_ending'])
      await this.#warn(e, 'login_required', c.stateReason ?? `profile "${name}" needs a new login`)
      return
    }
    this.#clearWarnings(e, ['login_required'])
    await this.#checkEnding(e, c, now)
    if (e.failedOn !== undefined && e.failedOn !== c.updatedAt.getTime()) {
      // Someone else refreshed while this daemon was backing off: the episode is over.
      this.#recovered(e)
    }
    if (e.seenUpdatedAt !== c.updatedAt.getTime()) {
      e.seenUpdatedAt = c.updatedAt.getTime()
      e.jitter = this.#opts.random()
    }
    const deadline = refreshDeadline(c, e.profile.refreshMarginSeconds, e.jitter)?.getTime()
    if (deadline === undefined) {
      st.state = c.refreshToken ? 'ok' : 'no_refresh_token'
      st.next_refresh_at = null
      return
    }
    const due = once ? deadline : (e.retryAt ?? deadline)
    if (due > now) {
      st.state = e.retryAt !== undefined ? 'retrying' : 'ok'
      st.next_refresh_at = new Date(due).toISOString()
      e.wakeAt = Math.min(e.wakeAt ?? due, due)
      return
    }
    await this.#refresh(e, c)
  }

  async #refresh(e: Entry, seen: Credential): Promise<void> {
    const name = e.profile.name
    const st = e.st
    try {
      // `seen` is the version this deadline was computed from.
      const r = await this.#ports.refresh(e.profile, seen)
      const c = r.credential
      const now = this.#ports.clock.now()
      if (r.source === 'refreshed') st.last_refresh_at = now.toISOString()
      this.#recovered(e)
      this.#describe(st, c)
      e.seenUpdatedAt = c.updatedAt.getTime()
      e.jitter = this.#opts.random()
      const deadline = refreshDeadline(c, e.profile.refreshMarginSeconds, e.jitter)?.getTime()
      const next = deadline === undefined ? undefined : Math.max(deadline, now.getTime() + MIN_GAP_MS)
      st.state = 'ok'
      st.next_refresh_at = next === undefined ? null : new Date(next).toISOString()
      e.wakeAt = next === undefined ? e.wakeAt : Math.min(e.wakeAt ?? next, next)
      this.#log(r.source, {
        profile: name,
        expires_at: c.expiresAt?.toISOString(),
        next_refresh_at: st.next_refresh_at,
      })
      await this.#checkEnding(e, c, now.getTime())
    } catch (err) {
      if (err instanceof LoginRequiredError) {
        st.state = 'login_required'
        st.next_refresh_at = null
        st.last_error = scrub(err.message, seen)
        st.last_error_at = this.#ports.clock.now().toISOString()
        this.#clearWarnings(e, ['refresh_failing'])
        this.#log('login_required', { profile: name, error: st.last_error, next: err.next })
        await this.#warn(e, 'login_required', st.last_error)
        return
      }
      await this.#failed(e, err, seen, 'retrying')
    }
  }

  async #failed(
    e: Entry,
    err: unknown,
    seen: Credential | undefined,
    state: 'retrying' | 'unreadable',
  ): Promise<void> {
    const st = e.st
    const now = this.#ports.clock.now().getTime()
    st.consecutive_failures += 1
    const failure = describeFailure((err as { cause?: unknown })?.cause ?? err) ?? describeFailure(err)
    const delay = backoffDelay(
      st.consecutive_failures,
      this.#opts.backoff,
      failure?.retryAfterSeconds,
      this.#opts.random(),
    )
    e.retryAt = now + delay
    e.failedOn = seen?.updatedAt.getTime() ?? -1
    e.wakeAt = Math.min(e.wakeAt ?? e.retryAt, e.retryAt)
    st.state = state
    st.next_refresh_at = new Date(e.retryAt).toISOString()
    st.last_error = scrub(messageOf(err), seen)
    st.last_error_at = new Date(now).toISOString()
    this.#log('refresh_failed', {
      profile: e.profile.name,
      attempt: st.consecutive_failures,
      error: st.last_error,
      retry_after: failure?.retryAfterSeconds,
      retry_in: `${(delay / 1000).toFixed(1)}s`,
      retry_at: st.next_refresh_at,
    })
    if (st.consecutive_failures >= this.#opts.failuresToWarn) {
      await this.#warn(
        e,
        'refresh_failing',
        `${st.consecutive_failures} refreshes of profile "${e.profile.name}" failed in a row; the last: ${st.last_error}`,
      )
    }
  }

  #recovered(e: Entry): void {
    if (e.st.consecutive_failures > 0) this.#log('recovered', { profile: e.profile.name })
    e.st.consecutive_failures = 0
    e.retryAt = undefined
    e.failedOn = undefined
    this.#clearWarnings(e, ['refresh_failing'])
  }

  #describe(st: ProfileState, c: Credential): void {
    st.access_token_expires_at = c.expiresAt?.toISOString() ?? null
    st.login_ends_at = loginEndsAt(c)?.toISOString() ?? null
  }

  async #checkEnding(e: Entry, c: Credential, now: number): Promise<void> {
    const ends = loginEndsAt(c)?.getTime()
    if (ends === undefined) return this.#clearWarnings(e, ['login_ending'])
    const warnAt = ends - this.#opts.warnDays * DAY_MS
    if (now < warnAt) {
      this.#clearWarnings(e, ['login_ending'])
      e.wakeAt = Math.min(e.wakeAt ?? warnAt, warnAt)
      return
    }
    const hours = Math.max(0, Math.round((ends - now) / 3_600_000))
    await this.#warn(
      e,
      'login_ending',
      `the login of profile "${e.profile.name}" ends at ${new Date(ends).toISOString()} (in about ${hours} h); run: authkeep login --profile ${e.profile.name}`,
    )
  }

  /** Raises a warning once per episode: logged, and the notify command run once, however often seen. */
  async #warn(e: Entry, reason: WarningReason, detail: string): Promise<void> {
    if (e.st.warnings.some((w) => w.reason === reason)) return
    const warning = {
      reason,
      detail,
      since: this.#ports.clock.now().toISOString(),
      notified_at: null as string | null,
      notify_exit: null as number | null,
    }
    e.st.warnings.push(warning)
    this.#log('warning', { profile: e.profile.name, reason, detail })
    if (!this.#opts.notify) return
    // Recorded before it runs: a crash mid-notice must not notify twice.
    warning.notified_at = this.#ports.clock.now().toISOString()
    await this.#save()
    const code = await this.#opts.notify({ profile: e.profile.name, reason, detail })
    warning.notify_exit = code
    this.#log('notified', { profile: e.profile.name, reason, exit: code })
  }

  #clearWarnings(e: Entry, reasons: WarningReason[]): void {
    const kept = e.st.warnings.filter((w) => !reasons.includes(w.reason))
    for (const w of e.st.warnings) {
      if (!kept.includes(w)) this.#log('warning_cleared', { profile: e.profile.name, reason: w.reason })
    }
    e.st.warnings = kept
  }

  #arm(): void {
    if (this.#stopped) return
    clearTimeout(this.#timer)
    const now = this.#ports.clock.now().getTime()
    let at = now + this.#opts.maxSleepMs
    let why: string | undefined
    for (const e of this.#entries.values()) {
      if (e.wakeAt !== undefined && e.wakeAt < at) {
        at = e.wakeAt
        why = e.profile.name
      }
    }
    this.#log('sleep', { until: new Date(at).toISOString(), profile: why ?? 'heartbeat' })
    this.#timer = setTimeout(() => void this.wake(), Math.max(0, at - now))
  }

  async #save(): Promise<void> {
    const profiles = Object.fromEntries([...this.#entries].map(([name, e]) => [name, e.st]))
    try {
      await this.#ports.saveState({ version: 1, daemon: this.#daemon, profiles })
    } catch (err) {
      this.#log('state_write_failed', { error: messageOf(err) })
    }
  }
}

function messageOf(err: unknown): string {
  if (err instanceof AuthkeepError) return err.message
  return err instanceof Error ? `unexpected: ${err.message}` : String(err)
}

/** Belt and braces: an unexpected error's text must not carry the credential's own tokens to a log. */
function scrub(text: string, c: Credential | undefined): string {
  let out = text
  for (const s of [c?.accessToken, c?.refreshToken, c?.idToken]) {
    const v = s?.reveal()
    if (v) out = out.split(v).join(mask(v))
  }
  return out
}
