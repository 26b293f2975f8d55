import type { Browser } from './ports/browser.js'
import type { RunChild } from './ports/child.js'
import type { Clock } from './ports/clock.js'
import type { Environment } from './ports/environment.js'
import type { Interrupts } from './ports/interrupts.js'
import type { Io } from './ports/io.js'
import type { Prompter } from './ports/prompter.js'
import type { Paths } from './profiles/paths.js'
import type { Profile } from './profiles/profile.js'
import type { KeyStore } from './stores/keyStore.js'
import type { CredentialStore } from './stores/store.js'

/** Everything impure a use case may touch, built once in main.ts and replaced by fakes in unit tests. */
export interface Deps {
  io: Io
  clock: Clock
  env: Environment
  processEnv: NodeJS.ProcessEnv
  paths: Paths
  browser: Browser
  prompter: Prompter
  /** The store bound to this profile (authkeep's record, or a client's own file), built once per profile. */
  credentialsOf(profile: Profile): CredentialStore
  runChild: RunChild
  /** How to run this authkeep again (node and the script), for the apiKeyHelper Claude Code calls. */
  self: string[]
  /** API keys and long-lived tokens, per profile. */
  keys: KeyStore
  /** OAuth client secrets of confidential or "installed app" clients, per profile. */
  clientSecrets: KeyStore
  /** This machine's fingerprint, written into every record. */
  host: string
  /** The user's home directory and uid, as the process sees them (HOME may be someone else's under sudo). */
  home: string
  uid: number
  /** The working directory, where a `.authkeep-account` may bind an account (`authkeep account`). */
  cwd: string
  /** This process's id (the keep-alive daemon records it; a live one is not started twice). */
  pid: number
  lockTimeoutMs: number
  /** Holds off SIGINT/SIGTERM/SIGHUP while a refresh is between its request and its write. */
  interrupts: Interrupts
}
