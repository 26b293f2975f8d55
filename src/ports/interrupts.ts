import { ExitCode } from '../errors.js'

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP'
export const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

/** The exit code for a signal that ended a command: 128 + its number, as a shell reports it. */
export const SIGNAL_EXIT: Record<StopSignal, ExitCode> = {
  SIGHUP: ExitCode.hangUp,
  SIGINT: ExitCode.cancelled,
  SIGTERM: ExitCode.terminated,
}

/**
 * Ctrl-C, `timeout`, an SSH hang-up or `systemctl stop`, held off while a step that must not be cut short
 * runs: between a refresh request leaving and its rotated token being written, an exit loses the login.
 */
export interface Interrupts {
  /**
   * Runs `step` to its end even when a stop signal arrives meanwhile (the step bounds itself, as requests
   * do with the HTTP timeout); `interrupted` aborts on that signal so the step starts nothing new. Then
   * the held signal ends the process with its exit code, unless the command took that signal with
   * `handle`. A second signal during the step exits at once, printing what `kept()` says.
   */
  shield<T>(step: (interrupted: AbortSignal) => Promise<T>, kept: () => string): Promise<T>
  /**
   * From now on `signal` is the command's (a daemon's stop or reload, the agent's stop): `handler` runs
   * for it, and a shielded step no longer exits on its own. With `stops`, a second one during a shielded
   * step exits at once.
   */
  handle(signal: StopSignal, handler: () => void, opts?: { stops?: boolean }): void
  /** Resolves once no shielded step runs, so the command's own exit cannot cut one short. */
  settled(): Promise<void>
}

/** What the real implementation needs of `process`. */
export interface SignalHost {
  on(signal: StopSignal, listener: () => void): unknown
  off(signal: StopSignal, listener: () => void): unknown
  exit(code: number): never | undefined
}

export function processInterrupts(host: SignalHost, err: (text: string) => void): Interrupts {
  const owned = new Map<StopSignal, { handlers: Array<() => void>; stops: boolean }>()
  const steps = new Set<{ abort: AbortController; kept: () => string }>()
  const idle: Array<() => void> = []
  let held: StopSignal | undefined
  let listening = false

  const onSignal = (signal: StopSignal) => {
    const own = owned.get(signal)
    if (steps.size > 0 && (!own || own.stops)) {
      if (held !== undefined) {
        const kept = [...steps].map((s) => s.kept()).join('; ')
        err(`authkeep: ${signal} again: exiting now; ${kept}\n`)
        host.exit(SIGNAL_EXIT[signal])
        return
      }
      held = signal
      for (const s of steps) s.abort.abort()
      err(
        `authkeep: ${signal}: saving the token refresh in flight first (at most the HTTP timeout); send it again to exit now\n`,
      )
    }
    for (const handler of own?.handlers ?? []) handler()
  }
  const listeners = new Map(STOP_SIGNALS.map((s) => [s, () => onSignal(s)] as const))
  // Listeners stay only while a step runs or a command owns the signal: otherwise a signal keeps its
  // default effect. An owned signal's listener is never removed (see `handle`).
  const listen = (on: boolean) => {
    if (on === listening) return
    listening = on
    for (const [s, l] of listeners) if (!owned.has(s)) on ? host.on(s, l) : host.off(s, l)
  }

  return {
    async shield(step, kept) {
      const entry = { abort: new AbortController(), kept }
      steps.add(entry)
      listen(true)
      if (held !== undefined) entry.abort.abort()
      try {
        return await step(entry.abort.signal)
      } finally {
        steps.delete(entry)
        if (steps.size === 0) {
          const signal = held
          held = undefined
          listen(false)
          if (signal !== undefined && !owned.has(signal)) {
            err(`authkeep: stopped by ${signal}; the refresh in flight ended first\n`)
            host.exit(SIGNAL_EXIT[signal])
          }
          for (const done of idle.splice(0)) done()
        }
      }
    },
    handle(signal, handler, opts) {
      const own = owned.get(signal)
      if (own) {
        own.handlers.push(handler)
        return
      }
      owned.set(signal, { handlers: [handler], stops: opts?.stops ?? true })
      // Never removed: proper-lockfile's signal-exit re-raises a signal that has no listener but its own,
      // which would kill a daemon in the middle of stopping. While a step runs it is already there.
      if (!listening) host.on(signal, listeners.get(signal) as () => void)
    },
    settled: () => (steps.size === 0 ? Promise.resolve() : new Promise((done) => idle.push(done))),
  }
}

/** For unit tests and code paths that run no process of their own: steps simply run. */
export const noInterrupts: Interrupts = {
  shield: (step) => step(new AbortController().signal),
  handle: () => {},
  settled: () => Promise.resolve(),
}
