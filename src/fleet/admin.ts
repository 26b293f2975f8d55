// What an administrator of the fleet does: create it, move a local login into it, enrol and remove
// machines, and read its state. Every value written holds secrets only sealed (crypto.ts); etcd users
// and roles make etcd itself refuse a host anything but its own profiles' access tokens.
import { randomBytes } from 'node:crypto'
import type { Etcd3 } from 'etcd3'
import { ConfigError, UsageError } from '../errors.js'
import { PROFILE_NAME, type ProfileRecord } from '../profiles/profile.js'
import { type MachineKey, newDataKey, seal, unwrapKey, wrapKey } from './crypto.js'
import type { Layout } from './layout.js'
import {
  type GrantRecord,
  grantSchema,
  type HostRecord,
  hostSchema,
  readJson,
  readSealed,
  type StatusRecord,
  statusSchema,
  type TokRecord,
  tokSchema,
} from './records.js'
import { ownerOf } from './refresher.js'

export const REFRESHER_ROLE = 'authkeep-refresher'
export const hostRole = (name: string) => `authkeep-host-${name}`

/** The fleet's grant key, as this machine (a refresher) unwraps it. */
export async function grantKeyFor(client: Etcd3, L: Layout, name: string, me: MachineKey): Promise<Buffer> {
  const key = L.grantKey(name)
  const wrapped = await client.get(key).string()
  if (wrapped === null) {
    throw new ConfigError(
      `etcd key ${key}`,
      `machine "${name}" holds no fleet grant key: only a refresher can do this`,
      `authkeep fleet host add ${name} --public-key KEY --refresher (on a refresher)`,
    )
  }
  return unwrapKey(wrapped, me, key)
}

async function ensureUser(client: Etcd3, user: string, role: string): Promise<void> {
  // Machines authenticate with their certificate (CN = user); the password is never used or kept.
  await client
    .user(user)
    .create(randomBytes(24).toString('base64url'))
    .catch((err: Error) => {
      if (err.constructor.name !== 'EtcdUserExistsError') throw err
    })
  await client
    .role(role)
    .create()
    .catch((err: Error) => {
      if (err.constructor.name !== 'EtcdRoleExistsError') throw err
    })
  await client.user(user).addRole(role)
}

/** Creates the fleet: its grant key, wrapped to this machine, which becomes its first refresher. */
export async function createFleet(
  client: Etcd3,
  L: Layout,
  name: string,
  me: MachineKey,
  now: Date,
): Promise<void> {
  const { Range } = await import('etcd3')
  const grantKey = newDataKey()
  const host: HostRecord = {
    public_key: me.publicKey,
    refresher: true,
    profiles: [],
    added_at: now.toISOString(),
  }
  const created = await client
    .if(L.grantKey(name), 'Create', '==', 0)
    .then(
      client.put(L.grantKey(name)).value(wrapKey(grantKey, me.publicKey, L.grantKey(name))),
      client.put(L.host(name)).value(JSON.stringify(host)),
    )
    .commit()
  if (!created.succeeded) {
    throw new ConfigError(
      `etcd key ${L.grantKey(name)}`,
      'this fleet already exists',
      'authkeep fleet status',
    )
  }
  await client
    .role(REFRESHER_ROLE)
    .create()
    .catch((err: Error) => {
      if (err.constructor.name !== 'EtcdRoleExistsError') throw err
    })
  await client.role(REFRESHER_ROLE).grant({ permission: 'Readwrite', range: Range.prefix(L.prefix) })
}

/** Everything a profile's login becomes in the fleet; replaces what the fleet held for it. */
export async function pushGrant(
  client: Etcd3,
  L: Layout,
  admin: { name: string; me: MachineKey },
  profile: { name: string; record: ProfileRecord },
  tokens: {
    refreshToken: string
    accessToken: string | undefined
    tokenType: string
    scope: string | undefined
    expiresAt: Date | undefined
  },
  now: Date,
): Promise<{ hosts: string[] }> {
  const p = profile.name
  const grantKey = await grantKeyFor(client, L, admin.name, admin.me)
  const existing = (await client.get(L.grant(p)).exec()).kvs[0]
  // The data key stays across pushes, so hosts enrolled for p keep reading it.
  const old = existing ? readSealed(L.grant(p), existing.value.toString(), grantKey, grantSchema) : undefined
  const dek = old ? Buffer.from(old.dek, 'base64url') : newDataKey()
  const gen = (old?.gen ?? 0) + 1
  const expiresAt = (tokens.expiresAt ?? now).toISOString()
  const grant: GrantRecord = {
    refresh_token: tokens.refreshToken,
    access_token: tokens.accessToken,
    token_type: tokens.tokenType,
    scope: tokens.scope,
    expires_at: expiresAt,
    dek: dek.toString('base64url'),
    gen,
  }
  const status: StatusRecord = {
    state: 'ok',
    expires_at: expiresAt,
    refreshed_at: now.toISOString(),
    refreshed_by: admin.name,
    gen,
  }
  const puts = [
    client.put(L.profile(p)).value(JSON.stringify(profile.record)),
    client.put(L.grant(p)).value(seal(grantKey, JSON.stringify(grant), L.grant(p))),
    client.put(L.status(p)).value(JSON.stringify(status)),
    client.delete().key(L.inflight(p)),
  ]
  if (tokens.accessToken) {
    const tok: TokRecord = {
      access_token: tokens.accessToken,
      token_type: tokens.tokenType,
      scope: tokens.scope,
      expires_at: expiresAt,
      gen,
      refreshed_at: now.toISOString(),
    }
    puts.push(client.put(L.tok(p)).value(seal(dek, JSON.stringify(tok), L.tok(p))))
  }
  // Hosts enrolled for p before it was pushed get its key now.
  const hosts = await listHosts(client, L)
  const assigned = hosts.filter((h) => h.record.profiles.includes(p))
  for (const h of assigned)
    puts.push(client.put(L.key(p, h.name)).value(wrapKey(dek, h.record.public_key, L.key(p, h.name))))
  const written = await client
    .if(L.grant(p), 'Mod', '==', existing?.mod_revision ?? 0)
    .then(...puts)
    .commit()
  if (!written.succeeded) {
    throw new ConfigError(
      `etcd key ${L.grant(p)}`,
      'changed while this push ran (a refresher wrote it)',
      `authkeep fleet push --profile ${p}`,
    )
  }
  return { hosts: assigned.map((h) => h.name) }
}

export async function listHosts(
  client: Etcd3,
  L: Layout,
): Promise<Array<{ name: string; record: HostRecord }>> {
  const kvs = (await client.getAll().prefix(L.dir('hosts')).exec()).kvs
  return kvs.map((kv) => ({
    name: kv.key.toString().slice(L.dir('hosts').length),
    record: readJson(kv.key.toString(), kv.value.toString(), hostSchema),
  }))
}

/** Enrols a machine: its record, its profiles' data keys wrapped to it, its etcd user and role. */
export async function addHost(
  client: Etcd3,
  L: Layout,
  admin: { name: string; me: MachineKey },
  host: { name: string; publicKey: string; refresher: boolean; profiles: string[] },
  now: Date,
): Promise<void> {
  const { Range } = await import('etcd3')
  const grantKey = await grantKeyFor(client, L, admin.name, admin.me)
  const previous = (await client.get(L.host(host.name)).string()) ?? undefined
  const before = previous ? readJson(L.host(host.name), previous, hostSchema) : undefined
  if (before && before.public_key !== host.publicKey) {
    throw new UsageError(
      `machine "${host.name}" is enrolled with another public key`,
      `authkeep fleet host remove ${host.name}`,
    )
  }
  const profiles = [...new Set([...(before?.profiles ?? []), ...host.profiles])]
  const ops = []
  for (const p of profiles) {
    const kv = (await client.get(L.grant(p)).exec()).kvs[0]
    if (!kv) throw new UsageError(`profile "${p}" is not in the fleet`, `authkeep fleet push --profile ${p}`)
    const grant = readSealed(L.grant(p), kv.value.toString(), grantKey, grantSchema)
    ops.push(
      client
        .put(L.key(p, host.name))
        .value(wrapKey(Buffer.from(grant.dek, 'base64url'), host.publicKey, L.key(p, host.name))),
    )
  }
  if (host.refresher)
    ops.push(
      client.put(L.grantKey(host.name)).value(wrapKey(grantKey, host.publicKey, L.grantKey(host.name))),
    )
  const record: HostRecord = {
    public_key: host.publicKey,
    refresher: host.refresher || before?.refresher === true,
    profiles,
    added_at: before?.added_at ?? now.toISOString(),
  }
  ops.push(client.put(L.host(host.name)).value(JSON.stringify(record)))
  await client
    .if(L.host(host.name), 'Mod', '>', -1)
    .then(...ops)
    .commit()
  const role = record.refresher ? REFRESHER_ROLE : hostRole(host.name)
  await ensureUser(client, host.name, role)
  if (!record.refresher) {
    // Exactly the keys this host needs, nothing under grant/, nothing of another host's profiles.
    const perms = profiles.flatMap((p) => [L.tok(p), L.key(p, host.name), L.status(p)])
    for (const key of perms) await client.role(role).grant({ permission: 'Read', key })
  } else {
    await client.role(REFRESHER_ROLE).grant({ permission: 'Readwrite', range: Range.prefix(L.prefix) })
  }
}

/**
 * Removes a machine: its etcd user and role, its wrapped keys, and a new data key for each profile it
 * could read, so the copy it may keep opens nothing written from now on.
 */
export async function removeHost(
  client: Etcd3,
  L: Layout,
  admin: { name: string; me: MachineKey },
  name: string,
): Promise<{ rotated: string[] }> {
  const raw = await client.get(L.host(name)).string()
  if (raw === null) throw new UsageError(`machine "${name}" is not enrolled`, 'authkeep fleet host list')
  const record = readJson(L.host(name), raw, hostSchema)
  await client
    .user(name)
    .delete()
    .catch(() => undefined)
  await client
    .role(hostRole(name))
    .delete()
    .catch(() => undefined)
  const grantKey = await grantKeyFor(client, L, admin.name, admin.me)
  const others = (await listHosts(client, L)).filter((h) => h.name !== name)
  const rotated: string[] = []
  for (const p of record.profiles) {
    for (let attempt = 0; attempt < 10; attempt++) {
      const kv = (await client.get(L.grant(p)).exec()).kvs[0]
      if (!kv) break
      const grant = readSealed(L.grant(p), kv.value.toString(), grantKey, grantSchema)
      const dek = newDataKey()
      const ops = [
        client
          .put(L.grant(p))
          .value(seal(grantKey, JSON.stringify({ ...grant, dek: dek.toString('base64url') }), L.grant(p))),
        client.delete().key(L.key(p, name)),
      ]
      const tokKv = (await client.get(L.tok(p)).exec()).kvs[0]
      if (tokKv) {
        const tok = readSealed(
          L.tok(p),
          tokKv.value.toString(),
          Buffer.from(grant.dek, 'base64url'),
          tokSchema,
        )
        ops.push(client.put(L.tok(p)).value(seal(dek, JSON.stringify(tok), L.tok(p))))
      }
      for (const h of others.filter((o) => o.record.profiles.includes(p)))
        ops.push(client.put(L.key(p, h.name)).value(wrapKey(dek, h.record.public_key, L.key(p, h.name))))
      // Fenced like a refresh: a refresher that wrote meanwhile makes this try again on its grant.
      const res = await client
        .if(L.grant(p), 'Mod', '==', kv.mod_revision)
        .then(...ops)
        .commit()
      if (res.succeeded) {
        rotated.push(p)
        break
      }
    }
  }
  await client.delete().key(L.host(name)).exec()
  await client.delete().key(L.grantKey(name)).exec()
  return { rotated }
}

export interface ProfileStatus {
  profile: string
  state: 'ok' | 'needs_login' | 'no_token'
  expires_at: string | undefined
  gen: number
  refreshed_by: string | undefined
  refreshed_at: string | undefined
  in_flight: boolean
  owner: string | undefined
  reason: string | undefined
}

export interface FleetStatus {
  profiles: ProfileStatus[]
  refreshers: Array<{ name: string; alive: boolean; share: number }>
  hosts: Array<{ name: string; refresher: boolean; profiles: string[] }>
}

export async function fleetStatus(client: Etcd3, L: Layout): Promise<FleetStatus> {
  const range = async (kind: Parameters<Layout['dir']>[0]) =>
    (await client.getAll().prefix(L.dir(kind)).exec()).kvs
  const [statuses, live, inflight, metas] = await Promise.all([
    range('status'),
    range('refreshers'),
    range('inflight'),
    range('profiles'),
  ])
  const hosts = await listHosts(client, L)
  const alive = live.map((kv) => kv.key.toString().slice(L.dir('refreshers').length)).sort()
  const flying = new Set(inflight.map((kv) => kv.key.toString().slice(L.dir('inflight').length)))
  const statusOf = new Map(statuses.map((kv) => [kv.key.toString().slice(L.dir('status').length), kv]))
  const names = metas
    .map((kv) => kv.key.toString().slice(L.dir('profiles').length))
    .filter((p) => PROFILE_NAME.test(p))
  const profiles = names.sort().map((p): ProfileStatus => {
    const kv = statusOf.get(p)
    const s = kv ? readJson(kv.key.toString(), kv.value.toString(), statusSchema) : undefined
    return {
      profile: p,
      state: s?.state ?? 'no_token',
      expires_at: s?.expires_at,
      gen: s?.gen ?? 0,
      refreshed_by: s?.refreshed_by,
      refreshed_at: s?.refreshed_at,
      in_flight: flying.has(p),
      owner: ownerOf(p, alive),
      reason: s?.reason,
    }
  })
  const refresherNames = [
    ...new Set([...alive, ...hosts.filter((h) => h.record.refresher).map((h) => h.name)]),
  ].sort()
  return {
    profiles,
    refreshers: refresherNames.map((name) => ({
      name,
      alive: alive.includes(name),
      share: profiles.filter((p) => p.owner === name).length,
    })),
    hosts: hosts.map((h) => ({ name: h.name, refresher: h.record.refresher, profiles: h.record.profiles })),
  }
}
