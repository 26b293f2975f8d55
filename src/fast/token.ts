import { isFresh } from '../oauth/tokenResponse.js'
import { loadConfig, pickProfile } from '../profiles/configFile.js'
import { resolvePaths } from '../profiles/paths.js'
import type { Profile } from '../profiles/profile.js'
import { createCredentialStore } from '../stores/credentialStore.js'
import { storeFor } from '../stores/index.js'
import type { CredentialStore } from '../stores/store.js'
import { usable } from '../stores/usable.js'

/**
 * The profile `authkeep token` was given, when its arguments are ones the fast path understands exactly
 * as commander would (`token`, `token --profile NAME`, `token --profile=NAME`); `null` for anything else.
 */
export function fastTokenArgs(argv: readonly string[]): { profile: string | undefined } | null {
  if (argv[0] !== 'token') return null
  if (argv.length === 1) return { profile: undefined }
  const [, flag, value] = argv
  if (argv.length === 2 && flag?.startsWith('--profile=')) return { profile: flag.slice('--profile='.length) }
  // A value that looks like a flag (`--help`, `--`) is commander's to interpret.
  if (argv.length === 3 && flag === '--profile' && value !== undefined && !value.startsWith('-')) {
    return { profile: value }
  }
  return null
}

/**
 * os.homedir(), as main.ts uses it: on POSIX that is $HOME whenever it is set (even empty), so node:os,
 * a measurable share of this path's start-up, is loaded only without one.
 */
function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME ?? process.getBuiltinModule('node:os').homedir()
}

const keyringOnFullPath = (): never => {
  throw new Error('secrets in the keyring are read by the full command')
}

/** How long a reader waits for a peer's refresh; the refresh itself is bounded by its HTTP timeout. */
const PEER_WAIT_MS = 10_000

/**
 * A token due for refresh while another process refreshes it (holds its lock, as in a stampede of
 * `token` calls or Claude Code refreshing): its write is awaited and served, so the waiters never start
 * the CLI. Undefined when nobody refreshes, or the wait ends without a fresh token: the CLI decides.
 */
async function peersToken(store: CredentialStore, profile: Profile): Promise<string | undefined> {
  if (!(await store.refreshing(new Date()))) return undefined
  const changes = store.changes()
  try {
    const until = Date.now() + PEER_WAIT_MS
    while (Date.now() < until) {
      await changes.next(Math.min(100, until - Date.now()))
      const c = usable(profile, await store.read())
      if (isFresh(c, new Date(), profile.refreshMarginSeconds)) return c.accessToken?.reveal()
      if (!(await store.refreshing(new Date()))) return undefined
    }
    return undefined
  } finally {
    changes.close()
  }
}

/**
 * `authkeep token` when the stored access token is fresh, or becomes fresh by a peer's refresh under way:
 * the same config and record validation and the same freshness rule as the full command, without
 * commander, the ports or the host fingerprint.
 * Returns the token to print, or undefined when the full command must run instead: a refresh is due,
 * a token agent is forwarded, the secrets are in the keyring, or anything at all went wrong (the full
 * command then reports it in its own words). Reads only; never writes.
 */
export async function freshToken(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const args = fastTokenArgs(argv)
  if (!args || env.AUTHKEEP_AGENT_SOCK) return undefined
  try {
    const home = homeDir(env)
    const paths = resolvePaths(env, home)
    const profile = pickProfile(await loadConfig(paths), args.profile, env, 'token')
    // Reads only, so the host fingerprint is never asked for; a fleet profile's token is cached in
    // authkeep's own record, whatever its kind, and only that is read here (the full command asks etcd).
    const context = { paths, env, home, host: () => '', keyring: keyringOnFullPath, uid: process.getuid?.() }
    const store = profile.fleet
      ? createCredentialStore(paths, keyringOnFullPath, profile.name, context.uid)
      : storeFor(profile, context)
    const credential = usable(profile, await store.read())
    if (isFresh(credential, new Date(), profile.refreshMarginSeconds)) return credential.accessToken?.reveal()
    return await peersToken(store, profile)
  } catch {
    return undefined
  }
}
