import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod/mini'
import { ConfigError } from '../errors.js'
import { linkTarget, readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import { Secret } from '../secret.js'
import { parseJson, validate } from '../validation.js'
import { timeAt, unlinkIfThere } from './claudeCodeStore.js'
import { type ClientFileOptions, ownLock, readClientState, writeClientState } from './clientState.js'
import type { Credential } from './credential.js'
import { type CredentialStore, cliFile } from './store.js'

/** ${GEMINI_CLI_HOME:-$HOME}/.gemini: where Gemini CLI keeps `oauth_creds.json` (an empty value counts as unset). */
export function geminiDir(env: NodeJS.ProcessEnv, home: string): string {
  return join(env.GEMINI_CLI_HOME || home, '.gemini')
}

/**
 * settings.json `security.auth.selectedType`: it outranks every variable and the stored login
 * (`oauth-personal` is the Google login); undefined when unset or unreadable.
 */
export async function selectedAuthType(env: NodeJS.ProcessEnv, home: string): Promise<string | undefined> {
  try {
    const text = await readFileIfExists(join(geminiDir(env, home), 'settings.json'))
    const settings = JSON.parse(text ?? '{}') as { security?: { auth?: { selectedType?: unknown } } }
    const selected = settings?.security?.auth?.selectedType
    return typeof selected === 'string' ? selected : undefined
  } catch {
    return undefined
  }
}

const text = z.optional(z.string())
/**
 * google-auth-library's `Credentials`, as Gemini CLI writes them. Loose: every field it or a later
 * version adds is kept on rewrite. `expiry_date` is milliseconds since 1970.
 */
export const geminiFileSchema = z.looseObject({
  access_token: text,
  refresh_token: text,
  scope: text,
  token_type: z.optional(z.nullable(z.string())),
  id_token: z.optional(z.nullable(z.string())),
  expiry_date: z.optional(z.nullable(z.number())),
})
type GeminiFile = z.output<typeof geminiFileSchema>

/** The file's content as Gemini's shape, or a ConfigError naming the file and the field. */
export function parseGeminiFile(file: string, content: string): GeminiFile {
  const reset = 'authkeep reset --profile gemini'
  const raw = validate(file, parseJson(file, content, reset), geminiFileSchema, reset)
  // A file of another shape (a Claude or Codex file copied here) holds neither token.
  if (!raw.access_token && !raw.refresh_token) {
    throw new ConfigError(
      file,
      'field "refresh_token": missing, and so is "access_token": this is not Gemini CLI\'s oauth_creds.json',
      reset,
    )
  }
  return raw
}

export interface GeminiStoreOptions extends ClientFileOptions {
  /** ~/.gemini, or $GEMINI_CLI_HOME/.gemini. */
  dir: string
}

/**
 * The gemini profile's credential is Gemini CLI's own `oauth_creds.json`, read and written in its exact
 * shape, so `gemini` and authkeep share one login. Gemini takes no lock around this file and rewrites it
 * in place; authkeep replaces it atomically under a lock of its own, so a reader never sees half a file.
 */
export function createGeminiStore({
  dir,
  profile,
  host,
  stateFile,
  lockFile,
  onWritten,
}: GeminiStoreOptions): CredentialStore {
  const file = join(dir, 'oauth_creds.json')

  const readRaw = async (): Promise<GeminiFile | undefined> => {
    const content = await readFileIfExists(file)
    return content === undefined ? undefined : parseGeminiFile(file, content)
  }

  return {
    ...cliFile(file),
    ...ownLock(file, lockFile),
    describe: () => `file ${file} (Gemini CLI's own)`,

    async read() {
      const raw = await readRaw()
      if (!raw) return undefined
      const { mtime } = await stat(file)
      const refresh = raw.refresh_token || undefined
      const access = raw.access_token || undefined
      const note = await readClientState(stateFile, refresh ?? access ?? '')
      return {
        profile,
        state: note?.state ?? 'active',
        stateReason: note?.stateReason,
        tokenType: raw.token_type || 'Bearer',
        accessToken: access === undefined ? undefined : new Secret(access),
        refreshToken: refresh === undefined ? undefined : new Secret(refresh),
        idToken: raw.id_token ? new Secret(raw.id_token) : undefined,
        scope: raw.scope,
        expiresAt: timeAt(raw.expiry_date),
        refreshExpiresAt: undefined,
        // The file has no issue time; its modification time is when the tokens were written.
        obtainedAt: mtime,
        updatedAt: mtime,
        host: note?.host ?? host(),
        secretsIn: 'file',
        extra: {},
      } satisfies Credential
    },

    async write(c) {
      const refresh = c.refreshToken?.reveal()
      const access = c.accessToken?.reveal()
      await writeClientState(stateFile, refresh ?? access ?? '', {
        host: host(),
        state: c.state,
        stateReason: c.stateReason,
      })
      // A login that needs renewing is only marked: Gemini's file keeps what it had, for a backup to show.
      if (c.state === 'login_required') return
      const raw = (await readRaw().catch(() => undefined)) ?? {}
      const next: GeminiFile = {
        ...raw,
        access_token: access,
        refresh_token: refresh ?? raw.refresh_token,
        scope: c.scope ?? raw.scope,
        // As Google sends it; openid-client hands it on lower-cased.
        token_type: c.tokenType.toLowerCase() === 'bearer' ? 'Bearer' : c.tokenType,
        ...(c.idToken ? { id_token: c.idToken.reveal() } : {}),
        expiry_date: c.expiresAt?.getTime() ?? null,
      }
      const content = JSON.stringify(next, null, 2)
      await writeFileAtomic(await linkTarget(file), content)
      await onWritten?.(file, content)
    },

    async remove() {
      await unlinkIfThere(file)
      await unlinkIfThere(stateFile)
    },
  }
}
