import * as z from 'zod/mini'
import { AuthkeepError, ExitCode } from '../errors.js'
import { tokenSyntaxProblem } from '../oauth/tokenResponse.js'
import type { Config } from '../profiles/configFile.js'
import type { Profile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import { codexAuthSchema, codexExpiry, codexFileWith, loginIn } from '../stores/codexStore.js'
import { type Credential, recordSchema, toRecord } from '../stores/credential.js'
import { geminiFileSchema } from '../stores/geminiStore.js'

/**
 * The credential as the file the remote keeps: Claude's `.credentials.json` shape for claude-code,
 * Codex's `auth.json` for codex, Gemini's `oauth_creds.json` for gemini, authkeep's record otherwise
 * (copilot's goes through authkeep). The sh writer stores it as is; a remote authkeep parses it back.
 */
export function credentialFileContent(profile: Profile, c: Credential): string {
  if (profile.kind === 'codex') return JSON.stringify(codexFileWith({}, c))
  if (profile.kind === 'claude-code') {
    return JSON.stringify({
      claudeAiOauth: {
        accessToken: c.accessToken?.reveal() ?? '',
        refreshToken: c.refreshToken?.reveal() ?? '',
        expiresAt: c.expiresAt?.getTime() ?? 0,
        scopes: c.scope ? c.scope.split(' ').filter(Boolean) : [],
        ...(c.refreshExpiresAt ? { refreshTokenExpiresAt: c.refreshExpiresAt.getTime() } : {}),
      },
    })
  }
  if (profile.kind === 'gemini') {
    return JSON.stringify({
      access_token: c.accessToken?.reveal(),
      refresh_token: c.refreshToken?.reveal(),
      scope: c.scope,
      token_type: 'Bearer',
      ...(c.idToken ? { id_token: c.idToken.reveal() } : {}),
      expiry_date: c.expiresAt?.getTime() ?? null,
    })
  }
  return JSON.stringify(toRecord({ ...c, secretsIn: 'file' }, true))
}

/**
 * A profile's settings as another machine may take them: without those naming this machine's own
 * files (`claude_config_dir`, `codex_home`), which on the remote would send its login into a directory of the sender's.
 */
function portable(settings: unknown): unknown {
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return settings
  const { claude_config_dir: _local, codex_home: _codex, ...rest } = settings as Record<string, unknown>
  return rest
}

/** Line 1: the config to create on a remote that has none (only this profile's settings, no secrets). */
export function configLine(config: Config, profile: Profile): string {
  const own = config.raw.profiles[profile.name]
  if (own === undefined) return '-'
  return JSON.stringify({ version: 1, profiles: { [profile.name]: portable(own) } })
}

export function payload(config: Config, profile: Profile, c: Credential): string {
  return `${configLine(config, profile)}\n${credentialFileContent(profile, c)}\n`
}

const claudeShape = z.looseObject({
  claudeAiOauth: z.looseObject({
    accessToken: z.string().check(z.minLength(1)),
    refreshToken: z.optional(z.string()),
    expiresAt: z.optional(z.number()),
    scopes: z.optional(z.array(z.string())),
    refreshTokenExpiresAt: z.optional(z.nullable(z.number())),
  }),
})

const configShape = z.looseObject({ version: z.literal(1), profiles: z.record(z.string(), z.unknown()) })

export interface ReceivedPayload {
  /** This profile's settings as the sender keeps them, when it has any of its own. */
  settings: unknown
  credential: Credential
}

function bad(why: string): never {
  throw new AuthkeepError(`the hand-off payload on stdin is not valid: ${why}; nothing was stored`, {
    exitCode: ExitCode.usage,
    next: 'authkeep login --for user@host',
  })
}

/** Reads what `login --for` sends; the remote's own host and time go into the record. */
export function parsePayload(
  text: string,
  profile: Pick<Profile, 'name' | 'kind'>,
  now: Date,
  host: string,
): ReceivedPayload {
  const nl = text.indexOf('\n')
  if (nl < 0) bad('no settings line')
  const head = text.slice(0, nl).trim()
  const body = text.slice(nl + 1).trim()
  let settings: unknown
  if (head !== '-') {
    const cfg = configShape.safeParse(safeJson(head))
    if (!cfg.success) bad('the settings line is not a config')
    // An older sender may still send its own paths: never taken.
    settings = portable(cfg.data.profiles[profile.name])
  }
  const json = safeJson(body)
  const received = (login: ReceivedLogin): ReceivedPayload => ({
    settings,
    credential: receivedCredential(login, profile.name, now, host),
  })
  if (profile.kind === 'codex') {
    const p = codexAuthSchema.safeParse(json)
    if (!p.success || !p.data.tokens?.access_token) bad("the credential is not Codex's auth.json shape")
    let t: ReturnType<typeof loginIn>
    try {
      t = loginIn('auth.json', p.data, 'authkeep login --for user@host')
    } catch (err) {
      bad(`the credential was refused: ${(err as Error).message}`)
    }
    return received({
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      idToken: t.id_token,
      expiresAt: codexExpiry(p.data),
    })
  }
  if (profile.kind === 'claude-code') {
    const p = claudeShape.safeParse(json)
    if (!p.success) bad("the credential is not Claude Code's shape")
    const o = p.data.claudeAiOauth
    const problem = tokenSyntaxProblem({ access_token: o.accessToken, refresh_token: o.refreshToken })
    if (problem) bad(`the credential was refused: ${problem}`)
    return received({
      accessToken: o.accessToken,
      refreshToken: o.refreshToken,
      scope: o.scopes?.join(' '),
      expiresAt: o.expiresAt ? new Date(o.expiresAt) : undefined,
      refreshExpiresAt: o.refreshTokenExpiresAt ? new Date(o.refreshTokenExpiresAt) : undefined,
    })
  }
  if (profile.kind === 'gemini') {
    const g = geminiFileSchema.safeParse(json)
    if (!g.success || !g.data.access_token) bad("the credential is not Gemini CLI's shape")
    const d = g.data
    const problem = tokenSyntaxProblem(d)
    if (problem) bad(`the credential was refused: ${problem}`)
    return received({
      accessToken: d.access_token as string,
      refreshToken: d.refresh_token,
      idToken: d.id_token,
      scope: d.scope,
      expiresAt: typeof d.expiry_date === 'number' ? new Date(d.expiry_date) : undefined,
    })
  }
  const r = recordSchema.safeParse(json)
  if (!r.success || !r.data.access_token) bad('the credential is not an authkeep record')
  const d = r.data
  const problem = tokenSyntaxProblem(d)
  if (problem) bad(`the credential was refused: ${problem}`)
  return received({
    tokenType: d.token_type,
    accessToken: d.access_token as string,
    refreshToken: d.refresh_token,
    idToken: d.id_token,
    scope: d.scope,
    expiresAt: d.expires_at ? new Date(d.expires_at) : undefined,
    refreshExpiresAt: d.refresh_expires_at ? new Date(d.refresh_expires_at) : undefined,
    obtainedAt: new Date(d.obtained_at),
  })
}

/** The tokens of a received login, whatever file shape they came in. */
interface ReceivedLogin {
  tokenType?: string
  accessToken: string
  refreshToken?: string | null
  idToken?: string | null
  scope?: string
  expiresAt?: Date
  refreshExpiresAt?: Date
  obtainedAt?: Date
}

/** A received login as this machine keeps it: active, its own host and time, the secrets in the file. */
function receivedCredential(l: ReceivedLogin, profile: string, now: Date, host: string): Credential {
  return {
    profile,
    state: 'active',
    stateReason: undefined,
    tokenType: l.tokenType ?? 'Bearer',
    accessToken: new Secret(l.accessToken),
    refreshToken: l.refreshToken ? new Secret(l.refreshToken) : undefined,
    idToken: l.idToken ? new Secret(l.idToken) : undefined,
    scope: l.scope,
    expiresAt: l.expiresAt,
    refreshExpiresAt: l.refreshExpiresAt,
    obtainedAt: l.obtainedAt ?? now,
    updatedAt: now,
    host,
    secretsIn: 'file',
    extra: {},
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
