import { createHash } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod/mini'
import { linkTarget, readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import { fileChanges, lockHeld } from '../lock/changes.js'
import type { Profile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import { parseJson, validate } from '../validation.js'
import type { Credential } from './credential.js'
import { type CliFileStoreOptions, type CredentialStore, cliFile } from './store.js'

/** $CLAUDE_CONFIG_DIR, else ~/.claude: where Claude Code keeps `.credentials.json`. */
export function claudeConfigDir(profile: Profile, env: NodeJS.ProcessEnv, home: string): string {
  // An empty CLAUDE_CONFIG_DIR counts as unset, as a shell's `CLAUDE_CONFIG_DIR= cmd` means.
  return profile.claudeConfigDir || env.CLAUDE_CONFIG_DIR || join(home, '.claude')
}

/** Claude Code's own shape. Loose: every field and sibling key it or others add is kept on rewrite. */
const oauthSchema = z.looseObject({
  accessToken: z.optional(z.string()),
  refreshToken: z.optional(z.string()),
  expiresAt: z.optional(z.number()),
  // Claude hangs on a non-array here (its changelog 2.1.143); doctor reports it, reading tolerates it.
  scopes: z.optional(z.unknown()),
  refreshTokenExpiresAt: z.optional(z.nullable(z.number())),
})
export const claudeFileSchema = z.looseObject({ claudeAiOauth: z.optional(oauthSchema) })
export type ClaudeFile = z.output<typeof claudeFileSchema>

/** What authkeep notes beside Claude's file: which machine wrote the login, and a login_required mark. */
export const sidecarSchema = z.looseObject({
  host: z.string(),
  refresh_token_sha256: z.string(),
  state: z.optional(z.enum(['active', 'login_required'])),
  state_reason: z.optional(z.string()),
})
export const SIDECAR = '.authkeep-state.json'

export const fingerprint = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 16)

/** Notes beside the CLI's file which machine wrote this login, and whether it needs a new one. */
export async function writeSidecar(sidecarFile: string, host: string, c: Credential): Promise<void> {
  const refresh = c.refreshToken?.reveal() ?? ''
  await writeFileAtomic(
    sidecarFile,
    `${JSON.stringify({ host, refresh_token_sha256: fingerprint(refresh), state: c.state, state_reason: c.stateReason })}\n`,
  )
}

/** The note writeSidecar left, or undefined when there is none or it cannot be read. */
export async function readSidecar(sidecarFile: string): Promise<z.output<typeof sidecarSchema> | undefined> {
  const text = await readFileIfExists(sidecarFile).catch(() => undefined)
  if (text === undefined) return undefined
  try {
    const parsed = sidecarSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

export interface ClaudeCodeStoreOptions extends CliFileStoreOptions {
  configDir: string
}

/**
 * The claude-code profile's credential is Claude Code's own `.credentials.json`, read and written in its
 * exact shape, so Claude and authkeep share one login.
 */
export function createClaudeCodeStore({
  configDir,
  profile = 'claude-code',
  host,
  onWritten,
}: ClaudeCodeStoreOptions): CredentialStore {
  const file = join(configDir, '.credentials.json')
  // Claude Code names its directory lock after the resolved path; resolved only when a lock is taken.
  const realConfigDir = () => {
    try {
      return realpathSync(configDir)
    } catch {
      return configDir.replace(/\/+$/, '')
    }
  }
  // The two locks Claude Code itself takes before it refreshes: with them held it waits for us.
  const locks = () => [join(configDir, '.oauth_refresh.lock'), `${realConfigDir()}.lock`]
  const sidecarFile = join(configDir, SIDECAR)
  const reset = 'authkeep reset --profile claude-code'

  const readRaw = async (): Promise<ClaudeFile | undefined> => {
    const text = await readFileIfExists(file)
    if (text === undefined) return undefined
    return validate(file, parseJson(file, text, reset), claudeFileSchema, reset)
  }

  return {
    ...cliFile(file),
    async lock(opts, fn) {
      const { withFileLocks } = await import('../lock/fileLock.js')
      return withFileLocks(locks(), opts, fn)
    },
    changes: () => fileChanges(file),
    refreshing: (now) => lockHeld(locks(), now),
    describe: () => `file ${file} (Claude Code's own)`,

    async read() {
      const raw = await readRaw()
      const o = raw?.claudeAiOauth
      if (!raw || !o) return undefined
      const { mtime } = await stat(file)
      const sidecar = await readSidecar(sidecarFile)
      const access = o.accessToken || undefined
      const refresh = o.refreshToken || undefined
      const ours = sidecar && refresh !== undefined && sidecar.refresh_token_sha256 === fingerprint(refresh)
      const wiped = !access && !refresh
      return {
        profile,
        state: wiped
          ? 'login_required'
          : ours && sidecar.state === 'login_required'
            ? 'login_required'
            : 'active',
        stateReason: wiped
          ? 'Claude Code emptied the tokens, which it does when the server rejects the refresh token'
          : ours
            ? sidecar.state_reason
            : undefined,
        tokenType: 'Bearer',
        accessToken: access === undefined ? undefined : new Secret(access),
        refreshToken: refresh === undefined ? undefined : new Secret(refresh),
        idToken: undefined,
        // Only the strings: an element such as {"toString":null} would make join() throw.
        scope: Array.isArray(o.scopes)
          ? o.scopes.filter((s): s is string => typeof s === 'string').join(' ')
          : undefined,
        expiresAt: timeAt(o.expiresAt),
        refreshExpiresAt: o.refreshTokenExpiresAt ? timeAt(o.refreshTokenExpiresAt) : undefined,
        // Claude's file has no issue time; its modification time is when the tokens were written.
        obtainedAt: mtime,
        updatedAt: mtime,
        host: ours ? sidecar.host : host(),
        secretsIn: 'file',
        // The login's own fields beside its tokens (subscriptionType, rateLimitTier): they travel with
        // the account, into its slot when it is switched out and back when it is switched in.
        extra: loginFields(o),
      } satisfies Credential
    },

    async write(c) {
      // Claude's own rename would turn a symlink into a file; writing through to its target keeps it.
      const target = await linkTarget(file)
      await writeSidecar(sidecarFile, host(), c)
      // A login that needs renewing is only marked: Claude's file keeps what it had, for a backup to show.
      if (c.state === 'login_required') return
      const raw = (await readRaw().catch(() => undefined)) ?? {}
      const own = c.extra.claudeAiOauth
      const previous = raw.claudeAiOauth ?? {}
      // The login's own fields when the credential carries them (an account switched in), else the file's.
      const base = own && typeof own === 'object' && !Array.isArray(own) ? own : previous
      const next = {
        ...raw,
        claudeAiOauth: {
          ...base,
          accessToken: c.accessToken?.reveal() ?? '',
          refreshToken: c.refreshToken?.reveal() ?? '',
          expiresAt: c.expiresAt?.getTime() ?? 0,
          scopes: c.scope
            ? c.scope.split(' ').filter(Boolean)
            : Array.isArray(previous.scopes)
              ? previous.scopes
              : [],
          ...(c.refreshExpiresAt ? { refreshTokenExpiresAt: c.refreshExpiresAt.getTime() } : {}),
        },
      }
      const content = JSON.stringify(next)
      // Claude Code saves its file under this lock (stale 15 s); taking it keeps the two writers apart.
      // Loaded here: reading, which every command does, needs no lock library.
      const { withFileLock } = await import('../lock/fileLock.js')
      await withFileLock(join(configDir, '.storage-write.lock'), { timeoutMs: 10_000, staleMs: 15_000 }, () =>
        writeFileAtomic(target, content),
      )
      await onWritten?.(file, content)
    },

    // Only the login goes: what else Claude keeps in the file (MCP servers' OAuth, org ids) stays.
    async remove() {
      const raw = await readRaw().catch(() => undefined)
      const { claudeAiOauth: _login, ...rest } = raw ?? {}
      if (raw && Object.keys(rest).length > 0) {
        await writeFileAtomic(await linkTarget(file), JSON.stringify(rest))
      } else {
        await unlinkIfThere(file)
      }
      await unlinkIfThere(sidecarFile)
    },
  }
}

/** What a login holds in `claudeAiOauth` besides the fields authkeep reads and writes itself. */
function loginFields(o: z.output<typeof oauthSchema>): Record<string, unknown> {
  const {
    accessToken: _a,
    refreshToken: _r,
    expiresAt: _e,
    scopes: _s,
    refreshTokenExpiresAt: _x,
    ...own
  } = o
  return Object.keys(own).length > 0 ? { claudeAiOauth: own } : {}
}

/**
 * A number of milliseconds as a Date, or undefined beyond what a Date holds (±8.64e15): an Invalid Date
 * would throw wherever it is printed, and an unknown expiry simply makes the token due, so it is refreshed.
 */
export function timeAt(ms: number | null | undefined): Date | undefined {
  if (ms === undefined || ms === null) return undefined
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? undefined : d
}

export async function unlinkIfThere(file: string): Promise<void> {
  await unlink(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
}
