// The store `status`, `doctor` and `logout` see for a fleet host's profile: the host's cache (authkeep's
// own record, access token only), read through the fleet. Kept light: the etcd client, the crypto and
// the records load only when a read needs them.
import { AuthkeepError } from '../errors.js'
import type { Paths } from '../profiles/paths.js'
import type { Profile } from '../profiles/profile.js'
import { createCredentialStore } from '../stores/credentialStore.js'
import type { CredentialStore } from '../stores/store.js'

/** What of stores/index.ts's StoreContext a fleet host store uses. */
export interface FleetStoreContext {
  paths: Paths
  uid: number | undefined
  host: () => string
}

export function createFleetHostStore(profile: Profile, ctx: FleetStoreContext): CredentialStore {
  const cache = createCredentialStore(
    ctx.paths,
    () => {
      throw new Error('a fleet cache never lives in the keyring')
    },
    profile.name,
    ctx.uid,
  )
  const readOnly = () => {
    throw new AuthkeepError("a fleet profile's token is written by the fleet's refreshers, not on a host", {
      next: 'authkeep fleet status',
    })
  }
  return {
    file: cache.file,
    lock: (opts, fn) => cache.lock(opts, fn),
    changes: () => cache.changes(),
    refreshing: async () => false,
    async read() {
      const { fleetToken } = await import('./hostToken.js')
      const reading = {
        paths: ctx.paths,
        uid: ctx.uid,
        host: ctx.host,
        now: () => new Date(),
        warn: () => {},
      }
      return (await fleetToken(reading, profile)).credential
    },
    write: readOnly,
    remove: (secretsIn) => cache.remove(secretsIn),
    restoreRaw: readOnly,
    async probeKeyring() {},
    describe: () => `fleet (access token cached in ${cache.file}; no refresh token on this machine)`,
  }
}
