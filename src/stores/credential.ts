import * as z from 'zod/mini'
import { Secret } from '../secret.js'

export type CredentialState = 'active' | 'login_required'
export type SecretsLocation = 'file' | 'keyring'

/** A stored login, as the use cases see it. Secrets are Secret values; unknown on-disk fields ride along in `extra`. */
export interface Credential {
  profile: string
  state: CredentialState
  stateReason: string | undefined
  tokenType: string
  accessToken: Secret | undefined
  refreshToken: Secret | undefined
  idToken: Secret | undefined
  scope: string | undefined
  expiresAt: Date | undefined
  refreshExpiresAt: Date | undefined
  obtainedAt: Date
  updatedAt: Date
  host: string
  secretsIn: SecretsLocation
  extra: Record<string, unknown>
}

const isoDate = z.iso.datetime({ offset: true })

/** The secret-bearing part; lives in the record file or, as one JSON value, in the keyring. */
const token = z.optional(z.string().check(z.minLength(1)))
export const secretsSchema = z.looseObject({ access_token: token, refresh_token: token, id_token: token })

export const recordSchema = z.extend(secretsSchema, {
  version: z.literal(1),
  profile: z.string(),
  state: z.enum(['active', 'login_required']),
  state_reason: z.optional(z.string()),
  secrets_in: z.enum(['file', 'keyring']),
  token_type: z.optional(z.string()),
  scope: z.optional(z.string()),
  expires_at: z.optional(isoDate),
  refresh_expires_at: z.optional(isoDate),
  obtained_at: isoDate,
  updated_at: isoDate,
  host: z.string(),
})
export type RecordJson = z.output<typeof recordSchema>
export type SecretsJson = z.output<typeof secretsSchema>

const OWN_FIELDS = new Set(Object.keys(recordSchema.shape))

const secret = (v: string | undefined) => (v === undefined ? undefined : new Secret(v))
const date = (v: string | undefined) => (v === undefined ? undefined : new Date(v))

export function fromRecord(record: RecordJson, secrets: SecretsJson): Credential {
  const extra = Object.fromEntries(Object.entries(record).filter(([k]) => !OWN_FIELDS.has(k)))
  return {
    profile: record.profile,
    state: record.state,
    stateReason: record.state_reason,
    tokenType: record.token_type ?? 'Bearer',
    accessToken: secret(secrets.access_token),
    refreshToken: secret(secrets.refresh_token),
    idToken: secret(secrets.id_token),
    scope: record.scope,
    expiresAt: date(record.expires_at),
    refreshExpiresAt: date(record.refresh_expires_at),
    obtainedAt: new Date(record.obtained_at),
    updatedAt: new Date(record.updated_at),
    host: record.host,
    secretsIn: record.secrets_in,
    extra,
  }
}

export function secretsOf(c: Credential): SecretsJson {
  return {
    access_token: c.accessToken?.reveal(),
    refresh_token: c.refreshToken?.reveal(),
    id_token: c.idToken?.reveal(),
  }
}

/** The record as written to disk; with `withSecrets` false the tokens are left to the keyring. */
export function toRecord(c: Credential, withSecrets: boolean): RecordJson {
  return {
    ...c.extra,
    version: 1,
    profile: c.profile,
    state: c.state,
    state_reason: c.stateReason,
    secrets_in: c.secretsIn,
    token_type: c.tokenType,
    scope: c.scope,
    expires_at: c.expiresAt?.toISOString(),
    refresh_expires_at: c.refreshExpiresAt?.toISOString(),
    obtained_at: c.obtainedAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
    host: c.host,
    ...(withSecrets ? secretsOf(c) : {}),
  }
}
