import { join } from 'node:path'
import * as z from 'zod/mini'
import { ConfigError, UsageError } from '../errors.js'
import { readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import type { Paths } from '../profiles/paths.js'
import { PROFILE_NAME, type Profile } from '../profiles/profile.js'
import { parseJsonFile, quoteInput } from '../validation.js'

/** What the provider told about an account at its login; every field optional, none of them secret. */
const identitySchema = z.looseObject({
  email: z.optional(z.string()),
  organization: z.optional(z.string()),
  subscription: z.optional(z.string()),
  subject: z.optional(z.string()),
})
export type Identity = z.output<typeof identitySchema>

const accountsSchema = z.looseObject({
  version: z.literal(1),
  profile: z.string(),
  /** The account whose grant is in the profile's own credential (Claude's file); its slot holds none. */
  active: z.nullable(z.string()),
  accounts: z.record(z.string(), z.looseObject({ added_at: z.string(), identity: identitySchema })),
  /** Written before a switch moves a grant, removed after: a switch killed midway is finished or undone. */
  switching: z.optional(z.object({ from: z.nullable(z.string()), to: z.string(), started_at: z.string() })),
})
export type Accounts = z.output<typeof accountsSchema>

export const accountsFile = (paths: Paths, profile: string) =>
  join(paths.stateDir, 'accounts', `${profile}.json`)

export async function readAccounts(paths: Paths, profile: string): Promise<Accounts> {
  const file = accountsFile(paths, profile)
  const text = await readFileIfExists(file, { symlinks: 'refuse' })
  if (text === undefined) return { version: 1, profile, active: null, accounts: {} }
  return parseJsonFile(file, text, accountsSchema, `authkeep account list --profile ${profile}`)
}

export async function writeAccounts(paths: Paths, accounts: Accounts): Promise<void> {
  await writeFileAtomic(accountsFile(paths, accounts.profile), `${JSON.stringify(accounts, null, 2)}\n`)
}

/** An account name from argv or a binding file: the same rules as a profile name. */
export function checkAccountName(name: string, where: string | undefined): string {
  if (PROFILE_NAME.test(name)) return name
  const why = `"${quoteInput(name)}" is not a valid account name (letters, digits, . _ -)`
  if (where) throw new ConfigError(where, why, 'authkeep account list')
  throw new UsageError(why, 'authkeep account list')
}

/**
 * The profile an inactive account's grant is kept under: the same OAuth client and endpoints, stored as
 * authkeep's own record (`<profile>@<account>`), so refresh, keep-alive and revocation work on it as on
 * any profile. Generic over the CLI: codex or any other profile gets its slots the same way.
 */
export function slotProfile(profile: Profile, account: string): Profile {
  return { ...profile, name: `${profile.name}@${account}`, kind: 'oauth', store: 'file' }
}

/** The known accounts, for a message: `a, b` or `none yet`. */
export function knownAccounts(accounts: Accounts): string {
  const names = Object.keys(accounts.accounts).sort()
  return names.length > 0 ? names.join(', ') : 'none yet'
}
