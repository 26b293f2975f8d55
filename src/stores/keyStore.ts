import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod/mini'
import { ConfigError } from '../errors.js'
import { readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import type { Paths } from '../profiles/paths.js'
import { parseJsonFile } from '../validation.js'
import type { Keyring } from './keyring.js'

/**
 * Static secrets a profile can use instead of (or beside) its OAuth login: an API key, or a long-lived
 * token such as the one `claude setup-token` mints. One 0600 file per profile; the value inline or in
 * the keyring, exactly like a credential.
 */
export const KEY_KINDS = ['api_key', 'oauth_token', 'client_secret'] as const
export type KeyKind = (typeof KEY_KINDS)[number]

const keySchema = z.looseObject({
  version: z.literal(1),
  profile: z.string(),
  kind: z.enum(KEY_KINDS),
  secrets_in: z.enum(['file', 'keyring']),
  value: z.optional(z.string().check(z.minLength(1))),
  created_at: z.string(),
  expires_at: z.optional(z.string()),
})
export type KeyRecord = z.output<typeof keySchema>

export interface StoredKey {
  kind: KeyKind
  /** Revealed only where the command's job is to hand it over (exec's child env, the helper's stdout). */
  value: string
  secretsIn: 'file' | 'keyring'
  expiresAt: Date | undefined
}

export interface KeyStore {
  file(profile: string): string
  get(profile: string): Promise<StoredKey | undefined>
  set(
    profile: string,
    key: Omit<StoredKey, 'secretsIn'>,
    preference: 'auto' | 'file' | 'keyring',
    now: Date,
  ): Promise<StoredKey['secretsIn']>
  remove(profile: string): Promise<void>
}

/**
 * Where one kind of static secret lives: its own folder and keyring account, so a profile's OAuth client
 * secret never shares a slot with the API key `exec` hands to commands.
 */
export interface KeySlot {
  dir: string
  accountPrefix: string
  /** The kinds a file in this slot may hold; any other is refused as a broken record. */
  kinds: readonly KeyKind[]
  /** The command that writes this slot again, for the message of a broken file. */
  fix(profile: string): string
}

export const KEY_SLOT: KeySlot = {
  dir: 'keys',
  accountPrefix: 'key:',
  kinds: ['api_key', 'oauth_token'],
  fix: (profile) => `authkeep key set --profile ${profile}`,
}

/** A confidential or "installed app" client's secret, set with `profile add --client-secret`. */
export const CLIENT_SECRET_SLOT: KeySlot = {
  dir: 'client-secrets',
  accountPrefix: 'client-secret:',
  kinds: ['client_secret'],
  fix: (profile) => `authkeep profile remove ${profile}`,
}

/** Only informs a warning: a value that is no time is treated as no expiry rather than an Invalid Date. */
function dateOrUndefined(text: string | undefined): Date | undefined {
  const d = text ? new Date(text) : undefined
  return d && !Number.isNaN(d.getTime()) ? d : undefined
}

export function createKeyStore(paths: Paths, keyring: () => Keyring, slot: KeySlot = KEY_SLOT): KeyStore {
  const file = (profile: string) => join(paths.stateDir, slot.dir, `${profile}.json`)
  const account = (profile: string) => `${slot.accountPrefix}${profile}`
  return {
    file,
    async get(profile) {
      const text = await readFileIfExists(file(profile))
      if (text === undefined) return undefined
      const r = parseJsonFile(file(profile), text, keySchema, slot.fix(profile))
      if (!slot.kinds.includes(r.kind))
        throw new ConfigError(file(profile), `"kind": "${r.kind}" does not belong here`, slot.fix(profile))
      const value = r.secrets_in === 'keyring' ? await keyring().get(account(profile)) : r.value
      if (!value) return undefined
      return {
        kind: r.kind,
        value,
        secretsIn: r.secrets_in,
        expiresAt: dateOrUndefined(r.expires_at),
      }
    },
    async set(profile, key, preference, now) {
      let secretsIn: StoredKey['secretsIn'] = 'file'
      if (preference !== 'file') {
        try {
          await keyring().set(account(profile), key.value)
          secretsIn = 'keyring'
        } catch (err) {
          if (preference === 'keyring') throw err
        }
      }
      const record: KeyRecord = {
        version: 1,
        profile,
        kind: key.kind,
        secrets_in: secretsIn,
        ...(secretsIn === 'file' ? { value: key.value } : {}),
        created_at: now.toISOString(),
        ...(key.expiresAt ? { expires_at: key.expiresAt.toISOString() } : {}),
      }
      await writeFileAtomic(file(profile), `${JSON.stringify(record, null, 2)}\n`)
      return secretsIn
    },
    async remove(profile) {
      // An unreadable key file is still removed; only a readable one can point at the keyring.
      const inKeyring = await this.get(profile).then(
        (k) => k?.secretsIn === 'keyring',
        () => false,
      )
      if (inKeyring) await keyring().delete(account(profile))
      await unlink(file(profile)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
      })
    },
  }
}
