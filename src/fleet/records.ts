// What the fleet keeps under each key, validated when read (zod at the boundary). Sealed records are
// decrypted first; a value that does not decrypt or validate is a ConfigError naming its etcd key.
import * as z from 'zod/mini'
import { ConfigError } from '../errors.js'
import { parseJson, validate } from '../validation.js'
import { DecryptError, open } from './crypto.js'

const iso = z.iso.datetime({ offset: true })
const token = z.string().check(z.minLength(1))

/** grant/<p>, sealed with the fleet's grant key. */
export const grantSchema = z.object({
  refresh_token: token,
  access_token: z.optional(token),
  token_type: z.string(),
  scope: z.optional(z.string()),
  expires_at: z.optional(iso),
  /** The profile's data key (base64url), which seals tok/<p>. */
  dek: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/)),
  gen: z.number().check(z.int(), z.gte(0)),
})
export type GrantRecord = z.output<typeof grantSchema>

/** tok/<p>, sealed with the profile's data key: what a host may see. */
export const tokSchema = z.object({
  access_token: token,
  token_type: z.string(),
  scope: z.optional(z.string()),
  expires_at: iso,
  gen: z.number().check(z.int(), z.gte(0)),
  refreshed_at: iso,
})
export type TokRecord = z.output<typeof tokSchema>

/** status/<p>, in clear: no secret. */
export const statusSchema = z.object({
  state: z.enum(['ok', 'needs_login']),
  expires_at: z.optional(iso),
  refreshed_at: z.optional(iso),
  refreshed_by: z.optional(z.string()),
  gen: z.number().check(z.int(), z.gte(0)),
  reason: z.optional(z.string()),
  /** The grant revision a needs-login verdict was reached on; a newer grant clears it. */
  base: z.optional(z.string()),
})
export type StatusRecord = z.output<typeof statusSchema>

/** inflight/<p>: a refresh that may have reached the server, from this grant revision. */
export const inflightSchema = z.object({ holder: z.string(), base: z.string(), at: iso })
export type InflightRecord = z.output<typeof inflightSchema>

/** hosts/<name>: an enrolled machine. */
export const hostSchema = z.object({
  public_key: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/)),
  refresher: z.boolean(),
  profiles: z.array(z.string()),
  added_at: iso,
})
export type HostRecord = z.output<typeof hostSchema>

const fix = (key: string) => `authkeep fleet status (then re-push the profile whose key is ${key})`

export function readJson<T extends z.ZodMiniType>(key: string, text: string, schema: T): z.output<T> {
  return validate(`etcd key ${key}`, parseJson(`etcd key ${key}`, text, fix(key)), schema, fix(key))
}

export function readSealed<T extends z.ZodMiniType>(
  key: string,
  sealed: string,
  dataKey: Buffer,
  schema: T,
): z.output<T> {
  let text: string
  try {
    text = open(dataKey, sealed, key)
  } catch (err) {
    if (err instanceof DecryptError) throw new ConfigError(`etcd key ${key}`, `${err.message}`, fix(key))
    throw err
  }
  return readJson(key, text, schema)
}
