import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod/mini'
import { ConfigError } from '../errors.js'
import { linkTarget, readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import { fileChanges } from '../lock/changes.js'
import { tokenSyntaxProblem } from '../oauth/tokenResponse.js'
import type { Profile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import { parseJson, validate } from '../validation.js'
import { fingerprint, readSidecar, SIDECAR, unlinkIfThere, writeSidecar } from './claudeCodeStore.js'
import type { Credential } from './credential.js'
import { type CliFileStoreOptions, type CredentialStore, cliFile } from './store.js'

/** $CODEX_HOME, else ~/.codex: where Codex keeps `auth.json`. */
export function codexHome(profile: Profile, env: NodeJS.ProcessEnv, home: string): string {
  return profile.codexHome || env.CODEX_HOME || join(home, '.codex')
}

/** Codex's own shape (AuthDotJson / TokenData). Loose: every field it or others add is kept on rewrite. */
const tokensSchema = z.looseObject({
  id_token: z.optional(z.nullable(z.string())),
  access_token: z.string(),
  refresh_token: z.string(),
  account_id: z.optional(z.nullable(z.string())),
})
export const codexAuthSchema = z.looseObject({
  auth_mode: z.optional(z.nullable(z.string())),
  OPENAI_API_KEY: z.optional(z.nullable(z.string())),
  tokens: z.optional(z.nullable(tokensSchema)),
  last_refresh: z.optional(z.nullable(z.iso.datetime({ offset: true }))),
})
export type CodexAuth = z.output<typeof codexAuthSchema>

/** Codex refreshes a token whose `exp` it cannot read once `last_refresh` is this old. */
const REFRESH_INTERVAL_MS = 8 * 86_400_000

/** The JSON payload of a JWT, unverified (Codex does not verify either); undefined when it is none. */
export function jwtClaims(jwt: string | null | undefined): Record<string, unknown> | undefined {
  const payload = jwt?.split('.')[1]
  if (!payload) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The ChatGPT account an ID token names, which Codex keeps as `tokens.account_id`. */
export function chatgptAccountId(idToken: string | null | undefined): string | undefined {
  const auth = jwtClaims(idToken)?.['https://api.openai.com/auth']
  const id =
    typeof auth === 'object' && auth !== null
      ? (auth as Record<string, unknown>).chatgpt_account_id
      : undefined
  return typeof id === 'string' ? id : undefined
}

function expiryOf(accessToken: string, lastRefresh: Date | undefined): Date {
  const exp = jwtClaims(accessToken)?.exp
  if (typeof exp === 'number' && Number.isFinite(exp) && Math.abs(exp) < 8.64e12) return new Date(exp * 1000)
  // As Codex does: without a readable exp, the token is due 8 days after its last refresh.
  return new Date((lastRefresh?.getTime() ?? 0) + REFRESH_INTERVAL_MS)
}

/** The ChatGPT login in Codex's file, its tokens checked as any token authkeep stores or prints is. */
export function loginIn(file: string, raw: CodexAuth, next: string): NonNullable<CodexAuth['tokens']> {
  const t = raw.tokens
  if (!t) {
    const why =
      typeof raw.OPENAI_API_KEY === 'string'
        ? 'holds an API key login (auth_mode "apikey"), not a ChatGPT login'
        : 'holds no ChatGPT login'
    throw new ConfigError(file, `field "tokens": missing; it ${why}`, next)
  }
  const problem = tokenSyntaxProblem({
    access_token: t.access_token || undefined,
    refresh_token: t.refresh_token || undefined,
    id_token: t.id_token || undefined,
  })
  if (problem) throw new ConfigError(file, `field "tokens": ${problem}`, next)
  return t
}

/** Codex's file `raw` with the login `c` in it, every other field as it was; `{}` makes a new file. */
export function codexFileWith(raw: CodexAuth, c: Credential): CodexAuth {
  const previous: Partial<NonNullable<CodexAuth['tokens']>> = raw.tokens ?? {}
  const idToken = c.idToken?.reveal() ?? previous.id_token ?? null
  // In Codex's own order for a new file; an existing file keeps its order.
  const base: CodexAuth = { auth_mode: 'chatgpt', OPENAI_API_KEY: null, ...raw }
  base.auth_mode = 'chatgpt'
  return {
    ...base,
    tokens: {
      ...previous,
      id_token: idToken,
      access_token: c.accessToken?.reveal() ?? '',
      refresh_token: c.refreshToken?.reveal() ?? '',
      account_id: chatgptAccountId(idToken) ?? previous.account_id ?? null,
    },
    last_refresh: c.updatedAt.toISOString(),
  }
}

/** The expiry Codex itself reads: the access token's `exp`, else 8 days after `last_refresh`. */
export function codexExpiry(raw: CodexAuth): Date | undefined {
  if (!raw.tokens) return undefined
  const lastRefresh = raw.last_refresh ? new Date(raw.last_refresh) : undefined
  return expiryOf(raw.tokens.access_token, lastRefresh)
}

export interface CodexStoreOptions extends CliFileStoreOptions {
  codexHome: string
}

/**
 * The codex profile's credential is Codex's own `auth.json`, read and written in its exact shape, so
 * Codex and authkeep share one login. Refreshes hold Codex's own `auth.json.lock` (flock).
 */
export function createCodexStore({
  codexHome,
  profile = 'codex',
  host,
  onWritten,
}: CodexStoreOptions): CredentialStore {
  const file = join(codexHome, 'auth.json')
  // Codex's only cross-process guard: an flock(2) lock it takes around its write (the credential commit
  // lock); authkeep holds it for a whole refresh.
  const commitLock = join(codexHome, 'auth.json.lock')
  const flocked = async (lock: string) => {
    if (!(await stat(lock).catch(() => undefined))) return false
    const { isFlocked } = await import('../lock/flock.js')
    return isFlocked(lock)
  }
  const sidecarFile = join(codexHome, SIDECAR)
  const reset = 'authkeep reset --profile codex'

  const readRaw = async (): Promise<CodexAuth | undefined> => {
    const text = await readFileIfExists(file)
    if (text === undefined) return undefined
    const json = parseJson(file, text, reset)
    // Any JSON object passes a loose schema: one without a single field of Codex's is someone else's file.
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
      const known = ['auth_mode', 'OPENAI_API_KEY', 'tokens'].some((k) => k in json)
      if (!known) throw new ConfigError(file, 'field "tokens": missing; this is not a Codex auth.json', reset)
    }
    return validate(file, json, codexAuthSchema, reset)
  }

  return {
    ...cliFile(file),
    async lock(opts, fn) {
      // Loaded here: serving a fresh token, which most commands do, needs no lock.
      const { withFlock } = await import('../lock/flock.js')
      return withFlock(commitLock, opts, fn)
    },
    changes: () => fileChanges(file),
    refreshing: () => flocked(commitLock),
    // Codex takes auth.lock before it waits for auth.json.lock to commit what it refreshed.
    peerCommitting: () => flocked(join(codexHome, 'auth.lock')),
    describe: () => `file ${file} (Codex's own)`,

    async read() {
      const raw = await readRaw()
      if (!raw) return undefined
      const t = loginIn(file, raw, `authkeep login --profile ${profile}`)
      const { mtime } = await stat(file)
      const lastRefresh = raw.last_refresh ? new Date(raw.last_refresh) : undefined
      const when = lastRefresh && !Number.isNaN(lastRefresh.getTime()) ? lastRefresh : mtime
      const sidecar = await readSidecar(sidecarFile)
      const ours = sidecar !== undefined && sidecar.refresh_token_sha256 === fingerprint(t.refresh_token)
      const wiped = !t.access_token && !t.refresh_token
      return {
        profile,
        state: wiped || (ours && sidecar.state === 'login_required') ? 'login_required' : 'active',
        stateReason: wiped ? 'auth.json holds empty tokens' : ours ? sidecar.state_reason : undefined,
        tokenType: 'Bearer',
        accessToken: t.access_token ? new Secret(t.access_token) : undefined,
        refreshToken: t.refresh_token ? new Secret(t.refresh_token) : undefined,
        idToken: t.id_token ? new Secret(t.id_token) : undefined,
        scope: undefined,
        expiresAt: codexExpiry(raw),
        refreshExpiresAt: undefined,
        obtainedAt: when,
        // last_refresh changes with every refresh, Codex's or ours: a peer's refresh is seen by it.
        updatedAt: when,
        host: ours ? sidecar.host : host(),
        secretsIn: 'file',
        extra: {},
      } satisfies Credential
    },

    async write(c) {
      const target = await linkTarget(file)
      await writeSidecar(sidecarFile, host(), c)
      // A login that needs renewing is only marked: Codex's file keeps what it had, for a backup to show.
      if (c.state === 'login_required') return
      const next = codexFileWith((await readRaw().catch(() => undefined)) ?? {}, c)
      const content = `${JSON.stringify(next, null, 2)}\n`
      await writeFileAtomic(target, content)
      await onWritten?.(file, content)
    },

    // Only the login goes: what else is in the file (an API key Codex was given) stays.
    async remove() {
      const raw = await readRaw().catch(() => undefined)
      const { tokens: _login, last_refresh: _when, ...rest } = raw ?? {}
      if (raw && typeof rest.OPENAI_API_KEY === 'string') {
        await writeFileAtomic(
          await linkTarget(file),
          `${JSON.stringify({ ...rest, auth_mode: 'apikey' }, null, 2)}\n`,
        )
      } else {
        await unlinkIfThere(file)
      }
      await unlinkIfThere(sidecarFile)
    },
  }
}
