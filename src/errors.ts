// One error taxonomy and one exit-code table. Only main.ts turns these into a process exit.

export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  config: 3,
  loginRequired: 4,
  locked: 5,
  unavailable: 6,
  doctorWarnings: 7,
  doctorErrors: 8,
  commandNotFound: 127,
  // 128 + the signal's number, as a shell reports a command a signal ended.
  hangUp: 129,
  cancelled: 130,
  terminated: 143,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** An expected failure: printed as one line, ending with the command to run next, never with a stack. */
export class AuthkeepError extends Error {
  readonly exitCode: ExitCode
  readonly next: string | undefined

  constructor(message: string, opts: { exitCode?: ExitCode; next?: string; cause?: unknown } = {}) {
    super(message)
    this.name = new.target.name
    this.exitCode = opts.exitCode ?? ExitCode.error
    this.next = opts.next
    // A cause may be a protocol error that holds a response or token: keep it off JSON and logs.
    if (opts.cause !== undefined)
      Object.defineProperty(this, 'cause', { value: opts.cause, enumerable: false })
  }

  // util.inspect (console.log, loggers, test failures) prints an error's cause even when it is not
  // enumerable, and a protocol error's cause is the server's answer. Shown here without it.
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const next = this.next ? `, next: ${this.next}` : ''
    return `${this.stack ?? `${this.name}: ${this.message}`}\n  { exitCode: ${this.exitCode}${next} }`
  }
}

export class UsageError extends AuthkeepError {
  constructor(message: string, next?: string) {
    super(message, { exitCode: ExitCode.usage, next })
  }
}

/** A config file or stored record that fails validation: names the file and the field. */
export class ConfigError extends AuthkeepError {
  readonly file: string
  /** What is wrong with the file, without its name. */
  readonly detail: string
  constructor(file: string, detail: string, next?: string) {
    super(`${file}: ${detail}`, { exitCode: ExitCode.config, next })
    this.file = file
    this.detail = detail
  }
}

/** A file refused for where it is or who may read it (a link, an owner, a mode), not for what it holds. */
export class UnsafeFileError extends ConfigError {}

export class LoginRequiredError extends AuthkeepError {
  readonly profile: string
  constructor(profile: string, why: string, cause?: unknown) {
    super(why, { exitCode: ExitCode.loginRequired, next: `authkeep login --profile ${profile}`, cause })
    this.profile = profile
  }
}

export class LockTimeoutError extends AuthkeepError {
  constructor(lockPath: string, waitedMs: number, profile: string) {
    super(
      `another authkeep process held the lock ${lockPath} for more than ${Math.round(waitedMs / 1000)}s`,
      {
        exitCode: ExitCode.locked,
        next: `authkeep status --profile ${profile}`,
      },
    )
  }
}

/** The authorization server could not be reached or answered with a transient failure. */
export class ServerUnavailableError extends AuthkeepError {
  constructor(message: string, next: string, cause?: unknown) {
    super(message, { exitCode: ExitCode.unavailable, next, cause })
  }
}

/**
 * A prompt found stdin closed or empty (`< /dev/null`, a finished pipe, Ctrl-D): a usage error, not a
 * crash, naming the command to run again where the person can answer.
 */
export class NoInputError extends UsageError {
  constructor(rerun: string) {
    super('stdin was closed before an answer was given; nothing was stored', rerun)
  }
}

export class CancelledError extends AuthkeepError {
  constructor(message = 'cancelled', next?: string) {
    super(message, { exitCode: ExitCode.cancelled, next })
  }
}
