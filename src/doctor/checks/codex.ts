import { stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { readFileIfExists } from '../../files/atomicFile.js'
import { fingerprint } from '../../stores/claudeCodeStore.js'
import { jwtClaims } from '../../stores/codexStore.js'
import { type Check, finding } from '../finding.js'
import { envOverride } from './envOverrides.js'
import { isRecord, present, readJson } from './jsonFile.js'
import { readSidecar, type Sidecar } from './sidecar.js'

// Codex's own test: it refreshes once the access token's exp is 5 minutes away.
const CODEX_EARLY_MS = 5 * 60_000

/** `tokens` of Codex's auth.json when the file is JSON, and the top level. */
async function codexFile(file: string) {
  const read = await readJson(file)
  if (read.state !== 'json' || !isRecord(read.value)) return undefined
  const tokens = read.value.tokens
  return { top: read.value, tokens: isRecord(tokens) ? tokens : undefined }
}

/** What authkeep noted beside Codex's auth.json, when it is about the refresh token there now. */
export async function codexSidecar(credentialFile: string): Promise<Sidecar | undefined> {
  const refresh = (await codexFile(credentialFile))?.tokens?.refresh_token
  const sidecar = await readSidecar(dirname(credentialFile))
  if (!present(refresh) || !sidecar || sidecar.refreshTokenSha256 !== fingerprint(refresh)) return undefined
  return sidecar
}

export const codexLogin: Check = {
  id: 'codex.login',
  title: 'auth.json holds a ChatGPT login with a refresh token',
  kinds: ['codex'],
  async run(ctx) {
    const f = await codexFile(ctx.credentialFile)
    if (!f) return []
    const login = `authkeep login --profile ${ctx.profile.name}`
    if (!f.tokens) {
      const apiKey = f.top.auth_mode === 'apikey' || typeof f.top.OPENAI_API_KEY === 'string'
      return [
        finding(
          'codex.login',
          'error',
          apiKey
            ? `${ctx.credentialFile} holds an API key login (auth_mode "apikey"), not a ChatGPT login`
            : `${ctx.credentialFile} holds no ChatGPT login (no "tokens")`,
          'Codex uses the API key (billed to the API account) or asks to sign in; authkeep has no login to keep fresh',
          login,
        ),
      ]
    }
    if (present(f.tokens.refresh_token)) return []
    return [
      finding(
        'codex.login',
        'error',
        `${ctx.credentialFile} has no refresh token`,
        'the login ends when the access token expires, and nothing can renew it',
        `authkeep reset --profile ${ctx.profile.name}`,
      ),
    ]
  },
}

export const codexExpired: Check = {
  id: 'codex.expired',
  title: "the access token is still valid by Codex's 5-minute rule",
  kinds: ['codex'],
  async run(ctx) {
    const t = (await codexFile(ctx.credentialFile))?.tokens
    if (!t || !present(t.refresh_token) || typeof t.access_token !== 'string') return []
    const exp = jwtClaims(t.access_token)?.exp
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return []
    const e = exp * 1000
    const now = ctx.now.getTime()
    if (now + CODEX_EARLY_MS < e) return []
    const past = now >= e
    const minutes = Math.round(Math.abs(now - e) / 60_000)
    return [
      finding(
        'codex.expired',
        'warning',
        past
          ? `the access token expired ${minutes} min ago (${new Date(e).toISOString()})`
          : `the access token expires in ${minutes} min (${new Date(e).toISOString()}), which Codex already refreshes`,
        'the next Codex process refreshes before its first request; Codex holds no lock across that request, so two started at once both spend the one rotating refresh token and one is logged out ("refresh token was already used")',
        `authkeep refresh --profile ${ctx.profile.name}${past ? '' : ' --force'}`,
      ),
    ]
  },
}

export const envCodexApiKey = envOverride({
  variable: 'CODEX_API_KEY',
  kinds: ['codex'],
  severity: 'warning',
  title: 'CODEX_API_KEY does not shadow the ChatGPT login',
  why: '`codex exec` sends this API key ahead of every other login, so the ChatGPT login in auth.json that authkeep keeps fresh goes unused (billing goes to the API account)',
})

export const envOpenaiApiKey = envOverride({
  variable: 'OPENAI_API_KEY',
  kinds: ['codex'],
  severity: 'warning',
  title: 'OPENAI_API_KEY does not shadow the ChatGPT login',
  why: 'Codex reads this API key too, and a provider set up for it uses it instead of the ChatGPT login in auth.json',
})

/** Longer than any write of Codex's or authkeep's takes after it stamps `last_refresh`. */
const COPY_GAP_MS = 5 * 60_000

export const codexCopied: Check = {
  id: 'codex.copied',
  title: 'auth.json was written on this machine, not copied here from another',
  kinds: ['codex'],
  async run(ctx) {
    const f = await codexFile(ctx.credentialFile)
    if (!f?.tokens || !present(f.tokens.refresh_token) || typeof f.top.last_refresh !== 'string') return []
    // A note of authkeep's says where the login was made: host.mismatch reports that case.
    if (await codexSidecar(ctx.credentialFile)) return []
    const refreshed = Date.parse(f.top.last_refresh)
    const written = (await stat(ctx.credentialFile).catch(() => undefined))?.mtimeMs
    // Codex and authkeep stamp last_refresh as they write: a file written long after its stamp was
    // put here by something else, typically `scp ~/.codex/auth.json server:`.
    if (!Number.isFinite(refreshed) || written === undefined || written - refreshed < COPY_GAP_MS) return []
    return [
      finding(
        'codex.copied',
        'warning',
        `${ctx.credentialFile} was written here at ${new Date(written).toISOString()}, but its login was last refreshed at ${new Date(refreshed).toISOString()}: it was copied from another machine (or restored from a backup)`,
        'both copies hold the same rotating refresh token: the first refresh on either machine spends it, and the other is logged out ("your refresh token was already used")',
        `authkeep reset --profile ${ctx.profile.name}`,
      ),
    ]
  },
}

const STORE_SETTING = /^\s*cli_auth_credentials_store\s*=\s*["']([a-z]+)["']/m

export const codexStoreSetting: Check = {
  id: 'codex.store',
  title: 'Codex keeps its login in auth.json (cli_auth_credentials_store is "file")',
  kinds: ['codex'],
  async run(ctx) {
    const config = join(dirname(ctx.credentialFile), 'config.toml')
    const text = await readFileIfExists(config).catch(() => undefined)
    const mode = text === undefined ? undefined : STORE_SETTING.exec(text)?.[1]
    if (mode === undefined || mode === 'file') return []
    return [
      finding(
        'codex.store',
        'error',
        `${config} sets cli_auth_credentials_store = "${mode}"`,
        `Codex then keeps its login ${mode === 'ephemeral' ? 'in memory only' : mode === 'auto' ? 'in the OS keyring whenever one answers' : 'in the OS keyring'}, not in the auth.json authkeep keeps fresh (a keyring save even deletes that file)`,
        `sed -i '/^\\s*cli_auth_credentials_store\\s*=/d' ${config}`,
      ),
    ]
  },
}
