// A fleet-backed profile on a host: the access token comes from etcd (sealed with the profile's data key,
// which is wrapped to this machine's key), and is cached in the profile's ordinary record file (0600),
// access token only. No refresh token is ever on a host: the fleet's refreshers renew the token.
import { AuthkeepError, ExitCode, LoginRequiredError, ServerUnavailableError } from '../errors.js'
import { isFresh } from '../oauth/tokenResponse.js'
import type { Paths } from '../profiles/paths.js'
import type { Profile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import type { Credential } from '../stores/credential.js'
import { createCredentialStore } from '../stores/credentialStore.js'
import type { CredentialStore } from '../stores/store.js'
import type { TokenResult } from '../stores/usable.js'
import { connect, etcdError, FleetDeniedError } from './connection.js'
import { unwrapKey } from './crypto.js'
import { layout } from './layout.js'
import { loadMachine } from './machine.js'
import { readJson, readSealed, statusSchema, tokSchema } from './records.js'

/** What reading a fleet token needs: where the files are, whose they are, the time, a warning line. */
export interface FleetReading {
  paths: Paths
  uid: number | undefined
  host(): string
  now(): Date
  warn(line: string): void
}

const noKeyring = () => {
  throw new Error('a fleet cache never lives in the keyring')
}

export function cacheOf(ctx: FleetReading, profile: string): CredentialStore {
  return createCredentialStore(ctx.paths, noKeyring, profile, ctx.uid)
}

/** The fleet's current token of `profile` for this host, cached; etcd is asked only when the cache is due. */
export async function fleetToken(ctx: FleetReading, profile: Profile, force = false): Promise<TokenResult> {
  const cache = cacheOf(ctx, profile.name)
  const cached = await cache.read().catch(() => undefined)
  const now = ctx.now()
  if (!force && cached && isFresh(cached, now, profile.refreshMarginSeconds))
    return { credential: cached, source: 'cached' }
  const { fleet, me } = await loadMachine(ctx.paths)
  const L = layout(fleet.prefix)
  const p = profile.name
  const { client, close } = await connect(fleet, { deadlineMs: 3000 })
  let values: [string | null, string | null, string | null]
  try {
    values = await Promise.all([
      client.get(L.tok(p)).string(),
      client.get(L.key(p, fleet.name)).string(),
      client.get(L.status(p)).string(),
    ])
  } catch (err) {
    const mapped = etcdError(err, fleet, `read the token of profile "${p}"`)
    // etcd down: a cached token that has not expired still works, until it does.
    if (
      mapped.exitCode === ExitCode.unavailable &&
      cached?.accessToken &&
      cached.expiresAt &&
      cached.expiresAt > now
    ) {
      ctx.warn(
        `authkeep: ${mapped.message}; serving the cached token, valid until ${cached.expiresAt.toISOString()}\n`,
      )
      return { credential: cached, source: 'cached' }
    }
    if (mapped instanceof FleetDeniedError) throw notEnrolled(fleet.name, p, me.publicKey)
    throw mapped
  } finally {
    close()
  }
  const [tok, wrapped, status] = values
  if (wrapped === null) throw notEnrolled(fleet.name, p, me.publicKey)
  const s = status === null ? undefined : readJson(L.status(p), status, statusSchema)
  if (s?.state === 'needs_login') {
    throw new LoginRequiredError(
      p,
      `the fleet's login of profile "${p}" needs renewing: ${s.reason ?? 'refused'}`,
    )
  }
  if (tok === null) {
    throw new LoginRequiredError(p, `the fleet holds no token of profile "${p}" yet`)
  }
  const dek = unwrapKey(wrapped, me, L.key(p, fleet.name))
  const t = readSealed(L.tok(p), tok, dek, tokSchema)
  const expiresAt = new Date(t.expires_at)
  if (expiresAt <= now) {
    throw new ServerUnavailableError(
      `the fleet's token of profile "${p}" expired at ${t.expires_at} and no refresher has renewed it`,
      'authkeep fleet status',
    )
  }
  const credential: Credential = {
    profile: p,
    state: 'active',
    stateReason: undefined,
    tokenType: t.token_type,
    accessToken: new Secret(t.access_token),
    refreshToken: undefined,
    idToken: undefined,
    scope: t.scope,
    expiresAt,
    refreshExpiresAt: undefined,
    obtainedAt: new Date(t.refreshed_at),
    updatedAt: new Date(t.refreshed_at),
    host: ctx.host(),
    secretsIn: 'file',
    extra: { fleet_generation: t.gen },
  }
  await cache.write(credential)
  return { credential, source: cached?.accessToken?.reveal() === t.access_token ? 'cached' : 'adopted' }
}

function notEnrolled(name: string, profile: string, publicKey: string): AuthkeepError {
  return new AuthkeepError(`machine "${name}" is not enrolled for fleet profile "${profile}"`, {
    next: `authkeep fleet host add ${name} --public-key ${publicKey} --profile ${profile} (on a refresher)`,
  })
}
