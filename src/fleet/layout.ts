// Where each fleet record lives under the key prefix. Key names carry profile and machine names only,
// never a secret: etcd's own RBAC works on these names.
export interface Layout {
  prefix: string
  /** The profile's provider settings (config.json's entry, no secret), for refreshers. */
  profile(p: string): string
  /** The refresh token and the profile's data key, sealed with the fleet's grant key. Refreshers only. */
  grant(p: string): string
  /** The current access token, sealed with the profile's data key. Read by the profile's hosts. */
  tok(p: string): string
  /** The profile's data key wrapped to one host's public key. Read by that host only. */
  key(p: string, host: string): string
  /** The refresher working on p now; on that refresher's session lease. */
  lock(p: string): string
  /** A refresh that may have reached the server: outlives its refresher, so a successor waits. */
  inflight(p: string): string
  /** State, expiry, generation, last refresher, needs-login: no secret, read by `fleet status`. */
  status(p: string): string
  /** A live refresher's presence, on its session lease: the set profiles are shared out among. */
  refresher(name: string): string
  /** An enrolled machine: its public key, whether it refreshes, its profiles. */
  host(name: string): string
  /** The fleet's grant key wrapped to one refresher's public key. */
  grantKey(name: string): string
  dir(
    kind:
      | 'profiles'
      | 'grant'
      | 'tok'
      | 'keys'
      | 'lock'
      | 'inflight'
      | 'status'
      | 'refreshers'
      | 'hosts'
      | 'gk',
  ): string
}

export function layout(prefix: string): Layout {
  return {
    prefix,
    profile: (p) => `${prefix}profiles/${p}`,
    grant: (p) => `${prefix}grant/${p}`,
    tok: (p) => `${prefix}tok/${p}`,
    key: (p, host) => `${prefix}keys/${p}/${host}`,
    lock: (p) => `${prefix}lock/${p}`,
    inflight: (p) => `${prefix}inflight/${p}`,
    status: (p) => `${prefix}status/${p}`,
    refresher: (name) => `${prefix}refreshers/${name}`,
    host: (name) => `${prefix}hosts/${name}`,
    grantKey: (name) => `${prefix}gk/${name}`,
    dir: (kind) => `${prefix}${kind}/`,
  }
}
