import { createFleetHostStore } from '../fleet/hostStore.js'
import { githubLogin } from '../oauth/githubLogin.js'
import { copilotHost } from '../profiles/copilot.js'
import { credentialLock, type Paths } from '../profiles/paths.js'
import type { Profile, ProfileKind } from '../profiles/profile.js'
import { claudeConfigDir, createClaudeCodeStore } from './claudeCodeStore.js'
import { type ClientFileOptions, clientStateFile } from './clientState.js'
import { codexHome, createCodexStore } from './codexStore.js'
import { copilotDir, createCopilotStore } from './copilotStore.js'
import { createCredentialStore } from './credentialStore.js'
import { createGeminiStore, geminiDir } from './geminiStore.js'
import type { Keyring } from './keyring.js'
import type { CredentialStore } from './store.js'

/** What a store may need to find and write its credential; every field is cheap until used. */
export interface StoreContext {
  paths: Paths
  env: NodeJS.ProcessEnv
  home: string
  /** This machine's fingerprint, hashed on first use. */
  host: () => string
  keyring: () => Keyring
  /** The process's uid, which owns the records it reads; undefined where there are no uids. */
  uid: number | undefined
  /** Called with each file written to another CLI's own credential file, to keep the last good one. */
  onWritten?: (profile: string, file: string, content: string) => Promise<void>
}

/** One line per kind of credential: a new kind is one store file and one line here. */
const KINDS: Record<ProfileKind, (profile: Profile, ctx: StoreContext) => CredentialStore> = {
  oauth: (profile, ctx) => createCredentialStore(ctx.paths, ctx.keyring, profile.name, ctx.uid),
  'claude-code': (profile, { env, home, host, onWritten }) =>
    createClaudeCodeStore({
      configDir: claudeConfigDir(profile, env, home),
      profile: profile.name,
      host,
      onWritten: onWritten && ((file, content) => onWritten(profile.name, file, content)),
    }),
  codex: (profile, { env, home, host, onWritten }) =>
    createCodexStore({
      codexHome: codexHome(profile, env, home),
      profile: profile.name,
      host,
      onWritten: onWritten && ((file, content) => onWritten(profile.name, file, content)),
    }),
  gemini: (profile, ctx) =>
    createGeminiStore({ ...clientFile(profile, ctx), dir: geminiDir(ctx.env, ctx.home) }),
  copilot: (profile, ctx) =>
    createCopilotStore({
      ...clientFile(profile, ctx),
      dir: copilotDir(ctx.env, ctx.home),
      githubHost: copilotHost(profile),
      whoAmI: (token) =>
        githubLogin(profile.endpoints.userinfo ?? 'https://api.github.com/user', token, profile.name),
    }),
}

/** Another CLI's own file: authkeep's note about it and its lock stay beside authkeep's records. */
function clientFile(profile: Profile, { paths, host, onWritten }: StoreContext): ClientFileOptions {
  return {
    profile: profile.name,
    host,
    stateFile: clientStateFile(paths, profile.name),
    lockFile: credentialLock(paths, profile.name),
    onWritten: onWritten && ((file, content) => onWritten(profile.name, file, content)),
  }
}

/** The store that holds this profile's credential: authkeep's record, or a client's own file. */
export function storeFor(profile: Profile, ctx: StoreContext): CredentialStore {
  // A fleet host's profile, of any kind: its token comes from the fleet (src/fleet).
  if (profile.fleet) return createFleetHostStore(profile, ctx)
  return KINDS[profile.kind](profile, ctx)
}
