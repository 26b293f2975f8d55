// The fleet's refresh protocol: one refresher per grant per cycle, fenced where etcd can fence it.
// An etcd lock cannot protect the token endpoint (etcd's own "Notes on the usage of lock and lease"),
// so the guarantees are placed where they hold:
// - the write-back is a transaction on the grant's revision the refresh started from (the fence): a
//   late writer whose base is still current owns the only live refresh token and is let in; one whose
//   base moved is refused;
// - a refresh is sent only while this refresher's lease is provably alive for longer than the request;
// - an in-flight record without a lease outlives a refresher that died or stopped after sending, and a
//   successor waits a grace period before it reuses a refresh token that may already be spent;
// - an answer the server sends is kept: the HTTP timeout counts only time this process ran, so a pause
//   does not use it up, and a write-back that carries the only live refresh token is retried across
//   etcd's failures until it commits or its fence refuses it (answerKeepingFetch.ts, persist below);
// - invalid_grant adopts a newer grant a peer wrote, or marks the profile needs-login, never silently.
import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { Etcd3, IKeyValue } from 'etcd3'
import * as oidc from 'openid-client'
import { errorChain } from '../errorChain.js'
import { clientConfig } from '../oauth/client.js'
import { describeFailure } from '../oauth/protocolErrors.js'
import { credentialFromTokens } from '../oauth/tokenResponse.js'
import { type Profile, type ProfileRecord, profileSchema, toProfile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import { answerKeepingFetch } from './answerKeepingFetch.js'
import { isDenied } from './connection.js'
import { type MachineKey, seal, unwrapKey } from './crypto.js'
import { groupCommit } from './groupCommit.js'
import type { Layout } from './layout.js'
import {
  type GrantRecord,
  grantSchema,
  type InflightRecord,
  readJson,
  readSealed,
  type StatusRecord,
  statusSchema,
  type TokRecord,
} from './records.js'
import { type Session, startSession } from './session.js'

export interface RefresherOptions {
  name: string
  concurrency: number
  leaseTtlSeconds: number
  /** How long a successor waits on an in-flight record before reusing its refresh token. */
  graceMs: number
  httpTimeoutMs: number
  scanMs: number
  /** A profile another refresher owns is taken once it is this overdue. */
  skewMs: number
  /** A token is due when less than this share of its lifetime is left. */
  window: number
  log(line: string): void
  /** A login the server refused: said in the log, and to whoever this tells (a notify command). */
  onNeedsLogin?(profile: string, detail: string): void
  wallNow(): Date
}

export interface CycleCounts {
  refreshed: number
  fenced: number
  needsLogin: number
  adopted: number
  busy: number
  waiting: number
  failed: number
  unsafe: number
}

const zero = (): CycleCounts => ({
  refreshed: 0,
  fenced: 0,
  needsLogin: 0,
  adopted: 0,
  busy: 0,
  waiting: 0,
  failed: 0,
  unsafe: 0,
})

type Outcome = keyof CycleCounts

const mono = () => performance.now()
/** How long a write-back that holds the only live refresh token keeps trying before it is given up, loudly. */
const WRITE_BACK_LIMIT_MS = 10 * 60_000
/** How often a scan in progress reads the live refreshers again. */
const LIVE_REREAD_MS = 500
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })

/** Rendezvous hashing: every refresher computes the same owner of p from the same live set. */
export function ownerOf(profile: string, refreshers: readonly string[]): string | undefined {
  let best: string | undefined
  let bestScore = ''
  for (const r of refreshers) {
    const score = createHash('sha256').update(`${profile}\0${r}`).digest('hex')
    if (best === undefined || score > bestScore) {
      best = r
      bestScore = score
    }
  }
  return best
}

export interface Refresher {
  /** One scan: refreshes what is due now, waits for those refreshes, returns what happened. */
  scan(): Promise<CycleCounts>
  /** Scans until `signal` aborts, then finishes what is in flight. */
  run(signal: AbortSignal): Promise<CycleCounts>
  close(): Promise<void>
}

export async function startRefresher(
  client: Etcd3,
  L: Layout,
  me: MachineKey,
  opts: RefresherOptions,
): Promise<Refresher> {
  const gkKey = L.grantKey(opts.name)
  const wrapped = await client.get(gkKey).string()
  if (wrapped === null) {
    const { AuthkeepError } = await import('../errors.js')
    throw new AuthkeepError(
      `machine "${opts.name}" holds no fleet grant key (${gkKey}): it is not enrolled as a refresher`,
      {
        next: `authkeep fleet host add ${opts.name} --public-key KEY --refresher (on a refresher)`,
      },
    )
  }
  const grantKey = unwrapKey(wrapped, me, gkKey)
  const register = async (leaseId: string) => {
    await client.put(L.refresher(opts.name)).value(new Date().toISOString()).lease(leaseId)
  }
  const session: Session = await startSession(client, opts.leaseTtlSeconds, register)
  const profiles = new Map<string, { rev: string; profile: Profile }>()
  /** In-flight records seen without a lock: when first seen, by their revision. */
  const waitingSince = new Map<string, { rev: string; at: number }>()
  /** When this refresher first saw a profile it does not own due. */
  const dueSince = new Map<string, number>()
  const running = new Set<string>()
  const total = zero()
  // Claims and write-backs of different profiles share round trips (etcd: at most 128 compares and 128
  // operations per transaction; a claim has 3 and 2, a write-back 2 and 6).
  const claims = groupCommit(client, 16)
  const writeBacks = groupCommit(client, 16)
  /** openid-client's configuration of a profile, built once per profile record. */
  const configs = new WeakMap<Profile, oidc.Configuration>()
  const configOf = (profile: Profile): oidc.Configuration => {
    const known = configs.get(profile)
    if (known) return known
    const config = clientConfig(profile)
    config[oidc.customFetch] = answerKeepingFetch(
      config[oidc.customFetch] ?? ((u, o) => fetch(u, o)),
      opts.httpTimeoutMs,
    )
    // answerKeepingFetch is the timeout; openid-client's own (a plain timer behind the signal it passes,
    // which the wrapper replaces) would discard an answer that arrived during a pause.
    config.timeout = 86_400
    configs.set(profile, config)
    return config
  }

  const profileOf = (p: string, kv: IKeyValue | undefined): Profile | undefined => {
    if (!kv) return undefined
    const cached = profiles.get(p)
    if (cached?.rev === kv.mod_revision) return cached.profile
    const record = readJson(L.profile(p), kv.value.toString(), profileSchema) as ProfileRecord
    const profile = toProfile(p, record)
    profiles.set(p, { rev: kv.mod_revision, profile })
    return profile
  }

  const release = async (p: string, lockRev: string, dropInflight: boolean) => {
    await client
      .if(L.lock(p), 'Create', '==', lockRev)
      .then(client.delete().key(L.lock(p)), ...(dropInflight ? [client.delete().key(L.inflight(p))] : []))
      .commit()
      .catch(() => undefined)
  }

  /**
   * Retries a write that carries the only copy of a new refresh token, or a verdict about one, across
   * etcd's failures (a leader election, a member down, a connection broken while this process was
   * stopped) until it commits or its compare fails. Only a denial, or WRITE_BACK_LIMIT_MS, stops it.
   */
  const persist = async <T>(what: string, step: () => Promise<T>): Promise<T> => {
    const started = mono()
    for (let i = 0; ; i++) {
      try {
        return await step()
      } catch (err) {
        if (isDenied(err) || mono() - started >= WRITE_BACK_LIMIT_MS) throw err
        if (i % 10 === 0) opts.log(`${what}: etcd failed (${errorChain(err)}); retrying`)
        await sleep(Math.min(250 * 2 ** Math.min(i, 3), 2000))
      }
    }
  }

  /** The server's answer could not be saved: its refresh token is lost with this process, said loudly. */
  const unsaved = async (p: string, base: string, gen: number, err: unknown): Promise<Outcome> => {
    const reason = `the refreshed token could not be saved to etcd (${errorChain(err)})`
    const status: StatusRecord = {
      state: 'needs_login',
      gen,
      base,
      reason,
      refreshed_at: opts.wallNow().toISOString(),
      refreshed_by: opts.name,
    }
    // One try: etcd has just refused this refresher for minutes, or denied it.
    await client
      .if(L.grant(p), 'Mod', '==', base)
      .then(client.put(L.status(p)).value(JSON.stringify(status)))
      .commit()
      .catch(() => undefined)
    opts.log(
      `profile ${p}: needs a new login: ${reason}; run: authkeep login --profile ${p} && authkeep fleet push --profile ${p}`,
    )
    opts.onNeedsLogin?.(p, `the fleet's refresh of profile "${p}" could not be saved to etcd`)
    return 'needsLogin'
  }

  const refreshOne = async (p: string, grantKv: IKeyValue, profile: Profile): Promise<Outcome> => {
    const base = grantKv.mod_revision
    // After a pause the lease may be gone: nothing is claimed until it is provably alive again.
    if (session.safeForMs() < opts.httpTimeoutMs + 500) return 'unsafe'
    const seen = waitingSince.get(p)
    const takeover = seen !== undefined && mono() - seen.at >= opts.graceMs
    const inflight: InflightRecord = { holder: opts.name, base, at: opts.wallNow().toISOString() }
    const claim = await claims({
      compares: [
        [L.grant(p), 'Mod', base],
        [L.lock(p), 'Create', 0],
        [L.inflight(p), takeover ? 'Mod' : 'Create', takeover ? seen.rev : 0],
      ],
      success: () => [
        client.put(L.lock(p)).value(opts.name).lease(session.leaseId()),
        client.put(L.inflight(p)).value(JSON.stringify(inflight)),
      ],
      failure: () => [client.get(L.lock(p)), client.get(L.inflight(p))],
    })
    if (!claim.succeeded) {
      const lockKv = claim.responses[0]?.response_range?.kvs?.[0]
      const inflightKv = claim.responses[1]?.response_range?.kvs?.[0]
      if (lockKv || !inflightKv) return 'busy'
      // Nobody holds p, but a refresh of it may have reached the server: wait out the grace period.
      if (seen?.rev !== inflightKv.mod_revision)
        waitingSince.set(p, { rev: inflightKv.mod_revision, at: mono() })
      return 'waiting'
    }
    waitingSince.delete(p)
    const lockRev = String(claim.header.revision)
    if (session.safeForMs() < opts.httpTimeoutMs + 500) {
      // A refresh sent now could outlive the lease, and a successor could send the same token.
      await release(p, lockRev, !takeover)
      return 'unsafe'
    }
    const grant = readSealed(L.grant(p), grantKv.value.toString(), grantKey, grantSchema)
    const config = configOf(profile)
    let tokens: oidc.TokenEndpointResponse
    try {
      tokens = await oidc.refreshTokenGrant(
        config,
        grant.refresh_token,
        profile.refreshScope ? { scope: profile.refreshScope } : undefined,
      )
    } catch (err) {
      if ((err as { error?: unknown }).error === 'invalid_grant') return invalidGrant(p, base, lockRev, grant)
      // Unknown whether the server took the refresh token: the in-flight record stays, so whoever tries
      // next (this refresher too) waits the grace period first.
      const secrets = [new Secret(grant.refresh_token)]
      const failure = describeFailure(err, secrets)
      const why = failure
        ? [failure.status && `HTTP ${failure.status}`, failure.error, failure.description]
            .filter(Boolean)
            .join(': ')
        : `unexpected: ${errorChain(err, secrets)}`
      opts.log(`profile ${p}: the refresh failed (${why}); will retry after the grace period`)
      await release(p, lockRev, false)
      return 'failed'
    }
    const now = opts.wallNow()
    const c = credentialFromTokens(tokens, {
      profile: p,
      now,
      host: opts.name,
      secretsIn: 'file',
      previous: undefined,
    })
    const gen = grant.gen + 1
    const expiresAt = c.expiresAt?.toISOString() ?? new Date(now.getTime() + 3600_000).toISOString()
    const next: GrantRecord = {
      refresh_token: c.refreshToken?.reveal() ?? grant.refresh_token,
      access_token: c.accessToken?.reveal(),
      token_type: c.tokenType,
      scope: c.scope,
      expires_at: expiresAt,
      dek: grant.dek,
      gen,
    }
    const tok: TokRecord = {
      access_token: c.accessToken?.reveal() ?? '',
      token_type: c.tokenType,
      scope: c.scope,
      expires_at: expiresAt,
      gen,
      refreshed_at: now.toISOString(),
    }
    const status: StatusRecord = {
      state: 'ok',
      expires_at: expiresAt,
      refreshed_at: now.toISOString(),
      refreshed_by: opts.name,
      gen,
    }
    const dek = Buffer.from(grant.dek, 'base64url')
    const sealedGrant = seal(grantKey, JSON.stringify(next), L.grant(p))
    const sealedTok = seal(dek, JSON.stringify(tok), L.tok(p))
    const writes = () => [
      // The status as it was: a needs-login mark on this base means a successor's reuse was refused.
      client.get(L.status(p)),
      client.put(L.grant(p)).value(sealedGrant),
      client.put(L.tok(p)).value(sealedTok),
      client.put(L.status(p)).value(JSON.stringify(status)),
      client.delete().key(L.inflight(p)),
    ]
    // Usually the lock is still ours and goes in the same transaction. Otherwise (the lease expired
    // meanwhile) the fence alone decides: a base still current means ours is the only live token.
    // What stored this answer, 'found' when a retry finds it stored already, or 'fenced'.
    const writeBack = async () => {
      const withLock = await persist(`profile ${p}: write-back`, () =>
        writeBacks({
          compares: [
            [L.grant(p), 'Mod', base],
            [L.lock(p), 'Create', lockRev],
          ],
          success: () => [...writes(), client.delete().key(L.lock(p))],
        }),
      )
      if (withLock.succeeded) return withLock
      const plain = await persist(`profile ${p}: write-back`, () =>
        client
          .if(L.grant(p), 'Mod', '==', base)
          .then(...writes())
          .commit(),
      )
      await release(p, lockRev, false)
      if (plain.succeeded) return plain
      // A retry after a write etcd committed but did not confirm (a leader change) finds its own write.
      const now = await persist(`profile ${p}: write-back check`, () => client.get(L.grant(p)).exec())
      return now.kvs[0]?.value.toString() === sealedGrant ? 'found' : 'fenced'
    }
    let written: Awaited<ReturnType<typeof writeBack>>
    try {
      written = await writeBack()
    } catch (err) {
      await release(p, lockRev, false)
      return unsaved(p, base, grant.gen, err)
    }
    if (written === 'found') return 'refreshed'
    if (written === 'fenced') {
      // A peer advanced the grant from the same base: its token won, ours is dropped unused.
      opts.log(`profile ${p}: the grant moved while this refresh ran; its answer was discarded (fenced)`)
      return 'fenced'
    }
    const before = written.responses[0]?.response_range?.kvs?.[0]
    const prior = before ? readJson(L.status(p), before.value.toString(), statusSchema) : undefined
    if (prior?.state === 'needs_login' && prior.base === base) {
      // This refresh was paused past the grace period and a successor reused its refresh token. A server
      // that revokes a whole grant on reuse has revoked the token just written too: refresh once more
      // now, so that shows (needs-login) within this scan instead of at the next cycle. The status says
      // it is due at once, so whoever scans next verifies it should this refresher not get to it.
      opts.log(`profile ${p}: written after a successor's reuse was refused; verifying the new refresh token`)
      const revision = String(written.header.revision)
      const dueNow: StatusRecord = { ...status, expires_at: opts.wallNow().toISOString() }
      await persist(`profile ${p}: verify mark`, () =>
        client
          .if(L.grant(p), 'Mod', '==', revision)
          .then(client.put(L.status(p)).value(JSON.stringify(dueNow)))
          .commit(),
      )
      const kv = { mod_revision: revision, value: Buffer.from(sealedGrant) } as IKeyValue
      for (let i = 0; i < 20 && session.safeForMs() < opts.httpTimeoutMs + 500; i++) await sleep(250)
      return refreshOne(p, kv, profile)
    }
    return 'refreshed'
  }

  const invalidGrant = async (
    p: string,
    base: string,
    lockRev: string,
    grant: GrantRecord,
  ): Promise<Outcome> => {
    const current = await persist(`profile ${p}: re-read after invalid_grant`, () =>
      client.get(L.grant(p)).exec(),
    )
    const kv = current.kvs[0]
    if (kv && kv.mod_revision !== base) {
      await release(p, lockRev, false)
      return 'adopted'
    }
    const status: StatusRecord = {
      state: 'needs_login',
      gen: grant.gen,
      base,
      reason: 'the authorization server refused the refresh token (invalid_grant)',
      refreshed_at: new Date().toISOString(),
      refreshed_by: opts.name,
    }
    await persist(`profile ${p}: needs-login mark`, () =>
      client
        .if(L.grant(p), 'Mod', '==', base)
        .then(client.put(L.status(p)).value(JSON.stringify(status)), client.delete().key(L.inflight(p)))
        .commit(),
    )
    await release(p, lockRev, false)
    opts.log(
      `profile ${p}: needs a new login (invalid_grant); run: authkeep login --profile ${p} && authkeep fleet push --profile ${p}`,
    )
    opts.onNeedsLogin?.(
      p,
      `the authorization server refused the fleet's refresh token of profile "${p}" (invalid_grant)`,
    )
    return 'needsLogin'
  }

  const rangeAt = (kind: Parameters<Layout['dir']>[0], revision?: string) => {
    const all = client.getAll().prefix(L.dir(kind))
    return (revision ? all.revision(revision) : all).exec()
  }
  const range = async (kind: Parameters<Layout['dir']>[0]) => (await rangeAt(kind)).kvs
  const nameOf = (kv: IKeyValue, kind: Parameters<Layout['dir']>[0]) =>
    kv.key.toString().slice(L.dir(kind).length)

  const scan = async (): Promise<CycleCounts> => {
    const counts = zero()
    // One snapshot: the rest is read at the grants' revision. Read separately, a grant just written
    // back could be seen beside its status from before, look due, and be refreshed twice in one cycle
    // (measured: 2 of 1000 in a bench cycle).
    const first = await rangeAt('grant')
    const at = String(first.header.revision)
    const grants = first.kvs
    const kvsAt = async (kind: Parameters<Layout['dir']>[0]) => (await rangeAt(kind, at)).kvs
    const [statuses, metas, live, locks] = await Promise.all([
      kvsAt('status'),
      kvsAt('profiles'),
      kvsAt('refreshers'),
      kvsAt('lock'),
    ])
    const statusOf = new Map(statuses.map((kv) => [nameOf(kv, 'status'), kv]))
    const metaOf = new Map(metas.map((kv) => [nameOf(kv, 'profiles'), kv]))
    const locked = new Set(locks.map((kv) => nameOf(kv, 'lock')))
    const refreshers = live.map((kv) => nameOf(kv, 'refreshers'))
    const now = opts.wallNow().getTime()
    const due: Array<{ p: string; kv: IKeyValue; owned: boolean }> = []
    for (const kv of grants) {
      const p = nameOf(kv, 'grant')
      if (running.has(p) || locked.has(p)) continue
      const sKv = statusOf.get(p)
      const s: StatusRecord | undefined = sKv
        ? readJson(sKv.key.toString(), sKv.value.toString(), statusSchema)
        : undefined
      if (s?.state === 'needs_login' && s.base === kv.mod_revision) continue
      const exp = s?.expires_at ? Date.parse(s.expires_at) : 0
      const from = s?.refreshed_at ? Date.parse(s.refreshed_at) : exp
      const window = Math.max(0, exp - from) * opts.window
      if (exp - now >= window) {
        dueSince.delete(p)
        continue
      }
      // Its owner takes it at once; the others only once it has stayed due for `skewMs` as they saw it
      // (an owner that died leaves the live set with its lease, and its profiles move then anyway).
      if (ownerOf(p, refreshers) === opts.name) {
        due.push({ p, kv, owned: true })
        continue
      }
      const since = dueSince.get(p) ?? mono()
      dueSince.set(p, since)
      if (mono() - since >= opts.skewMs) due.push({ p, kv, owned: false })
    }
    // Its own share first; others' overdue profiles after.
    due.sort((a, b) => Number(b.owned) - Number(a.owned))
    // The live set is read again while the work goes on: a refresher that started after this scan began
    // (all start at once after a deploy) takes its share at once, and this one leaves it alone instead of
    // racing it for every claim.
    let current = { names: refreshers, at: mono() }
    let reading: Promise<string[]> | undefined
    const liveNow = async () => {
      if (mono() - current.at < LIVE_REREAD_MS) return current.names
      reading ??= range('refreshers')
        .then((kvs) => {
          current = { names: kvs.map((kv) => nameOf(kv, 'refreshers')), at: mono() }
          return current.names
        })
        .finally(() => {
          reading = undefined
        })
      return reading
    }
    if (process.env.AUTHKEEP_FLEET_DEBUG)
      opts.log(`scan: ${grants.length} grants, ${due.length} due, refreshers ${refreshers.join(',')}`)
    const work = async () => {
      for (let item = due.shift(); item; item = due.shift()) {
        const { p, kv, owned } = item
        if (owned && ownerOf(p, await liveNow()) !== opts.name) {
          counts.busy += 1
          total.busy += 1
          continue
        }
        running.add(p)
        try {
          const profile = profileOf(p, metaOf.get(p))
          const outcome: Outcome = profile ? await refreshOne(p, kv, profile) : 'failed'
          counts[outcome] += 1
          total[outcome] += 1
        } catch (err) {
          counts.failed += 1
          total.failed += 1
          opts.log(`profile ${p}: ${errorChain(err)}`)
        } finally {
          running.delete(p)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, work))
    return counts
  }

  return {
    scan,
    async run(signal) {
      while (!signal.aborted) {
        const started = mono()
        await scan().catch((err: unknown) => opts.log(`scan failed: ${errorChain(err)}`))
        await sleep(Math.max(0, opts.scanMs - (mono() - started)), signal)
      }
      return total
    },
    close: () => session.close(),
  }
}
