// Hundreds of fleet profiles at once for the scale tests: grants minted in the test authorization server,
// pushed through the fleet's own push code (as `fleet push` does) with the administrator's machine key.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Etcd3 } from 'etcd3'
import { pushGrant } from '../../src/fleet/admin.js'
import { machineKeyFromPem } from '../../src/fleet/crypto.js'
import { layout } from '../../src/fleet/layout.js'
import type { AuthServer } from './authServer.js'
import type { FleetMachine } from './etcdFleet.js'

export interface Seeded {
  /** Profile name → the server's grant id behind it. */
  grantOf: Map<string, string>
}

export async function seedProfiles(
  server: AuthServer,
  root: Etcd3,
  admin: FleetMachine,
  count: number,
  opts: { prefix?: string; concurrency?: number } = {},
): Promise<Seeded> {
  const keyFile = join(admin.env.AUTHKEEP_HOME as string, 'state', 'fleet', 'machine.key')
  const me = machineKeyFromPem(await readFile(keyFile, 'utf8'))
  const L = layout(opts.prefix ?? '/authkeep/v1/')
  const grants = await server.mintGrants(count)
  const record = {
    issuer: server.issuer,
    token_endpoint: server.endpoints.token,
    revocation_endpoint: server.endpoints.revocation,
    client_id: server.clientId,
    scope: 'openid offline_access',
  }
  const grantOf = new Map<string, string>()
  const names = grants.map((_, i) => `p${String(i).padStart(4, '0')}`)
  let next = 0
  const now = new Date()
  const work = async () => {
    for (let i = next++; i < count; i = next++) {
      const name = names[i] as string
      const g = grants[i] as { refreshToken: string; grantId: string }
      grantOf.set(name, g.grantId)
      // No access token yet and an expiry of now: due at the first scan.
      await pushGrant(
        root,
        L,
        { name: admin.name, me },
        { name, record },
        {
          refreshToken: g.refreshToken,
          accessToken: undefined,
          tokenType: 'Bearer',
          scope: record.scope,
          expiresAt: now,
        },
        now,
      )
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, work))
  return { grantOf }
}

/** Every profile's generation and state, from the fleet's clear-text status records. */
export async function generations(
  root: Etcd3,
  prefix = '/authkeep/v1/',
): Promise<Map<string, { gen: number; state: string }>> {
  const all = (await root.getAll().prefix(`${prefix}status/`).strings()) as Record<string, string>
  return new Map(
    Object.entries(all).map(([k, v]) => {
      const s = JSON.parse(v) as { gen: number; state: string }
      return [k.slice(`${prefix}status/`.length), { gen: s.gen, state: s.state }]
    }),
  )
}
