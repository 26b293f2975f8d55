import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod/mini'
import { ConfigError } from '../errors.js'
import { linkTarget, readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import { Secret } from '../secret.js'
import { parseJson, validate } from '../validation.js'
import { unlinkIfThere } from './claudeCodeStore.js'
import { type ClientFileOptions, ownLock, readClientState, writeClientState } from './clientState.js'
import type { Credential } from './credential.js'
import { type CredentialStore, cliFile } from './store.js'

/** ${COPILOT_HOME:-$HOME/.copilot}: where Copilot CLI keeps `config.json` (an empty value counts as unset). */
export function copilotDir(env: NodeJS.ProcessEnv, home: string): string {
  return env.COPILOT_HOME || join(home, '.copilot')
}

const user = z.looseObject({ host: z.string(), login: z.string() })
/** Copilot CLI's `config.json` (1.0.x), the part that holds logins. Loose: every other key is kept. */
export const copilotFileSchema = z.looseObject({
  authTokens: z.optional(z.record(z.string(), z.looseObject({ token: z.optional(z.string()) }))),
  loggedInUsers: z.optional(z.array(z.extend(user, { kind: z.optional(z.string()) }))),
  lastLoggedInUser: z.optional(z.nullable(user)),
})
type CopilotFile = z.output<typeof copilotFileSchema>

/** What Copilot itself writes at the top of the file. */
const HEADER = ['// User settings belong in settings.json.', '// This file is managed automatically.']

/** Copilot's file is JSON with whole-line `//` comments: split into those lines and the JSON text. */
export function splitComments(content: string): { comments: string[]; json: string } {
  const lines = content.split('\n')
  const comment = (l: string) => l.trimStart().startsWith('//')
  return {
    comments: lines.filter(comment).map((l) => l.trim()),
    // Blanked rather than removed, so a JSON error's position still points into the file.
    json: lines.map((l) => (comment(l) ? '' : l)).join('\n'),
  }
}

/** The file's content as Copilot's shape (comment lines apart), or a ConfigError naming the file and field. */
export function parseCopilotFile(file: string, content: string): { raw: CopilotFile; comments: string[] } {
  const reset = 'authkeep reset --profile copilot'
  const { comments, json } = splitComments(content)
  return { raw: validate(file, parseJson(file, json, reset), copilotFileSchema, reset), comments }
}

/** The login Copilot uses for this GitHub host: its last one, else the first it lists; and its token. */
export function currentLogin(
  raw: CopilotFile,
  githubHost: string,
): { login: string; token: string | undefined } | undefined {
  const last = raw.lastLoggedInUser
  const login =
    last && last.host === githubHost
      ? last.login
      : raw.loggedInUsers?.find((u) => u.host === githubHost)?.login
  if (login === undefined) return undefined
  const entry =
    raw.authTokens?.[`${githubHost}:${login}`] ?? raw.authTokens?.[`${githubHost}:${login}:github`]
  return { login, token: entry?.token || undefined }
}

export interface CopilotStoreOptions extends ClientFileOptions {
  /** ~/.copilot, or $COPILOT_HOME. */
  dir: string
  /** The GitHub host the token is filed under (`https://github.com`, or Copilot's `--host`). */
  githubHost: string
  /** Asks GitHub which login a token belongs to: Copilot files its token under it. */
  whoAmI: (token: Secret) => Promise<string>
}

/**
 * The copilot profile's credential is the plaintext login in Copilot CLI's own `config.json`, the place
 * Copilot reads when the machine has no keychain (a headless Linux box), in its exact shape. A GitHub
 * OAuth-app token: no expiry, no refresh token, nothing to refresh.
 */
export function createCopilotStore(o: CopilotStoreOptions): CredentialStore {
  const file = join(o.dir, 'config.json')
  const gh = o.githubHost
  const reset = 'authkeep reset --profile copilot'

  const readRaw = async () => {
    const content = await readFileIfExists(file)
    return content === undefined ? undefined : parseCopilotFile(file, content)
  }
  const current = (raw: CopilotFile) => currentLogin(raw, gh)

  return {
    ...cliFile(file),
    // Copilot's own writer of this file (in its native runtime) takes no lock authkeep could find.
    ...ownLock(file, o.lockFile),
    describe: () => `file ${file} (Copilot CLI's own, plaintext)`,

    async read() {
      const read = await readRaw()
      if (!read) return undefined
      const who = current(read.raw)
      if (!who?.token) return undefined
      const { mtime } = await stat(file)
      const note = await readClientState(o.stateFile, who.token)
      return {
        profile: o.profile,
        state: note?.state ?? 'active',
        stateReason: note?.stateReason,
        tokenType: 'Bearer',
        accessToken: new Secret(who.token),
        refreshToken: undefined,
        idToken: undefined,
        scope: undefined,
        expiresAt: undefined,
        refreshExpiresAt: undefined,
        obtainedAt: mtime,
        updatedAt: mtime,
        host: note?.host ?? o.host(),
        secretsIn: 'file',
        extra: { login: who.login },
      } satisfies Credential
    },

    async write(c) {
      const token = c.accessToken
      if (!token) throw new ConfigError(file, 'a Copilot login needs a token; nothing was stored', reset)
      await writeClientState(o.stateFile, token.reveal(), {
        host: o.host(),
        state: c.state,
        stateReason: c.stateReason,
      })
      if (c.state === 'login_required') return
      const login = typeof c.extra.login === 'string' ? c.extra.login : await o.whoAmI(token)
      // Never replaced wholesale: the file holds other hosts' logins and Copilot's settings too.
      const read = (await readRaw()) ?? { raw: {}, comments: HEADER }
      const { raw } = read
      const entry = { token: token.reveal() }
      const kind = gh === 'https://github.com' ? 'githubDotCom' : 'proxima'
      const next: CopilotFile = {
        ...raw,
        authTokens: {
          ...raw.authTokens,
          [`${gh}:${login}:github`]: { ...raw.authTokens?.[`${gh}:${login}:github`], ...entry },
          [`${gh}:${login}`]: { ...raw.authTokens?.[`${gh}:${login}`], ...entry },
        },
        loggedInUsers: [
          ...(raw.loggedInUsers ?? []).filter((u) => u.host !== gh || u.login !== login),
          { host: gh, login, kind },
        ],
        lastLoggedInUser: { host: gh, login },
      }
      const comments = read.comments.length > 0 ? read.comments : HEADER
      const content = `${comments.join('\n')}\n${JSON.stringify(next, null, 2)}\n`
      await writeFileAtomic(await linkTarget(file), content)
      await o.onWritten?.(file, content)
    },

    // Only this login goes: other hosts' and users' logins, and every other key, stay.
    async remove() {
      const read = await readRaw()
      const who = read && current(read.raw)
      if (read && who) {
        const { raw } = read
        const tokens = Object.fromEntries(
          Object.entries(raw.authTokens ?? {}).filter(
            ([k]) => k !== `${gh}:${who.login}` && k !== `${gh}:${who.login}:github`,
          ),
        )
        const { lastLoggedInUser: last, ...rest } = raw
        const next: CopilotFile = {
          ...rest,
          authTokens: tokens,
          loggedInUsers: (raw.loggedInUsers ?? []).filter((u) => u.host !== gh || u.login !== who.login),
          ...(last && (last.host !== gh || last.login !== who.login) ? { lastLoggedInUser: last } : {}),
        }
        const comments = read.comments.length > 0 ? read.comments : HEADER
        await writeFileAtomic(
          await linkTarget(file),
          `${comments.join('\n')}\n${JSON.stringify(next, null, 2)}\n`,
        )
      }
      await unlinkIfThere(o.stateFile)
    },
  }
}
