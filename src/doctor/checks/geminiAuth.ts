import { join } from 'node:path'
import { linkTarget, readFileIfExists, writeFileAtomic } from '../../files/atomicFile.js'
import { mask } from '../../secret.js'
import { geminiDir, selectedAuthType } from '../../stores/geminiStore.js'
import { type Check, type DoctorContext, finding } from '../finding.js'
import { envOverride } from './envOverrides.js'
import { isRecord, present, readJson } from './jsonFile.js'
import { editJsonCommand } from './shell.js'

const settingsFile = (ctx: DoctorContext) => join(geminiDir(ctx.env, ctx.home), 'settings.json')
const setGoogleLogin = (ctx: DoctorContext) =>
  `\${EDITOR:-vi} ${settingsFile(ctx)}  # set "security": {"auth": {"selectedType": "oauth-personal"}}`

/** oauth_creds.json's tokens, when the file is JSON and an object (otherwise credentials.unparseable says so). */
async function creds(ctx: DoctorContext): Promise<Record<string, unknown> | undefined> {
  const read = await readJson(ctx.credentialFile)
  return read.state === 'json' && isRecord(read.value) ? read.value : undefined
}

export const geminiRefreshMissing: Check = {
  id: 'gemini.refresh_missing',
  title: "Gemini CLI's oauth_creds.json holds a refresh token",
  kinds: ['gemini'],
  async run(ctx) {
    const c = await creds(ctx)
    if (!c || present(c.refresh_token)) return []
    return [
      finding(
        'gemini.refresh_missing',
        'error',
        `${ctx.credentialFile} has no refresh token`,
        'the login ends when the access token expires (an hour), and nothing can renew it; then `gemini -p` exits 41 ("Manual authorization is required")',
        `authkeep login --profile ${ctx.profile.name}`,
      ),
    ]
  },
}

export const geminiExpired: Check = {
  id: 'gemini.expired',
  title: "Gemini's access token is valid by its 5-minute rule",
  kinds: ['gemini'],
  async run(ctx) {
    const c = await creds(ctx)
    const e = c?.expiry_date
    if (!c || !present(c.refresh_token) || typeof e !== 'number') return []
    if (ctx.now.getTime() + 5 * 60_000 < e) return []
    return [
      finding(
        'gemini.expired',
        'info',
        `the access token in ${ctx.credentialFile} expired or expires within 5 minutes (${new Date(e).toISOString()})`,
        'Gemini CLI refreshes it at start-up, which needs its token endpoint; `authkeep exec -- gemini` hands it a fresh one',
        `authkeep refresh --profile ${ctx.profile.name}`,
      ),
    ]
  },
}

const GOOGLE_LOGIN = 'oauth-personal'
const selectGoogleLogin =
  'j.security=j.security||{};j.security.auth=j.security.auth||{};j.security.auth.selectedType="oauth-personal"'

export const geminiSelectedType: Check = {
  id: 'gemini.selected_type',
  title: "Gemini's settings.json selects the Google login (security.auth.selectedType)",
  kinds: ['gemini'],
  async run(ctx) {
    const selected = await selectedAuthType(ctx.env, ctx.home)
    if (selected === GOOGLE_LOGIN) return []
    if (selected === undefined) {
      // With a method from the environment, gemini.env_auth speaks; with none, Gemini has nothing to go by.
      if (envAuth(ctx.env) !== undefined || ctx.env.GOOGLE_GENAI_USE_GCA === 'true') return []
      const read = await readJson(settingsFile(ctx))
      const editable = read.state === 'missing' || (read.state === 'json' && isRecord(read.value))
      return [
        finding(
          'gemini.selected_type',
          'error',
          `${settingsFile(ctx)} selects no login method, and no variable names one`,
          '`gemini -p` then exits 41 ("Please set an Auth method") instead of using oauth_creds.json; Gemini\'s own login records the choice there, authkeep\'s does not',
          editable ? editJsonCommand(settingsFile(ctx), selectGoogleLogin) : setGoogleLogin(ctx),
          editable,
        ),
      ]
    }
    return [
      finding(
        'gemini.selected_type',
        'error',
        `${settingsFile(ctx)} has security.auth.selectedType "${selected.slice(0, 40)}"`,
        'it outranks every variable and the login in oauth_creds.json: Gemini CLI uses that method instead of the Google login authkeep keeps',
        setGoogleLogin(ctx),
      ),
    ]
  },
  async fix(ctx) {
    const file = settingsFile(ctx)
    const target = await linkTarget(file)
    const before = await readFileIfExists(target)
    const json: unknown = before === undefined ? {} : JSON.parse(before)
    if (!isRecord(json)) throw new Error(`${file} is not a JSON object; not changed`)
    const security = isRecord(json.security) ? json.security : {}
    const auth = isRecord(security.auth) ? security.auth : {}
    if (auth.selectedType !== undefined) return `${file} already selects a method; not changed`
    json.security = { ...security, auth: { ...auth, selectedType: GOOGLE_LOGIN } }
    // Every other setting stays as it was.
    await writeFileAtomic(target, `${JSON.stringify(json, null, 2)}\n`)
    return `set security.auth.selectedType to "${GOOGLE_LOGIN}" in ${file}`
  },
}

/** What Gemini derives from the environment when settings.json selects nothing, in its order. */
const ENV_AUTH = [
  ['GOOGLE_GENAI_USE_VERTEXAI', 'Vertex AI (with GOOGLE_API_KEY, or GOOGLE_CLOUD_PROJECT and _LOCATION)'],
  ['GOOGLE_GEMINI_BASE_URL', 'a gateway'],
  ['GEMINI_API_KEY', 'the Gemini API key'],
] as const

/** The first method Gemini would take from the environment, other than the Google login. */
function envAuth(env: NodeJS.ProcessEnv) {
  return ENV_AUTH.find(([name]) =>
    name === 'GOOGLE_GENAI_USE_VERTEXAI' ? env[name] === 'true' : Boolean(env[name]),
  )
}

export const geminiEnvAuth: Check = {
  id: 'gemini.env_auth',
  title: 'no GEMINI_API_KEY / GOOGLE_API_KEY / Vertex variable outranks the Google login',
  kinds: ['gemini'],
  async run(ctx) {
    const env = ctx.env
    // selectedType wins over the environment: gemini.selected_type speaks for it.
    if ((await selectedAuthType(env, ctx.home)) !== undefined) return []
    if (env.GOOGLE_GENAI_USE_GCA === 'true') return []
    const hit = envAuth(env)
    if (!hit) return []
    const [name, what] = hit
    const extra = name === 'GOOGLE_GENAI_USE_VERTEXAI' && env.GOOGLE_API_KEY ? ' GOOGLE_API_KEY' : ''
    return [
      finding(
        'gemini.env_auth',
        'error',
        `${name} is set (${name.endsWith('KEY') ? mask(env[name] ?? '') : (env[name] ?? '').slice(0, 60)}) and settings.json selects no method`,
        `Gemini CLI then signs in with ${what}, not with the Google login authkeep keeps`,
        `unset ${name}${extra}`,
      ),
    ]
  },
}

export const geminiInjectedToken = envOverride({
  variable: 'GOOGLE_CLOUD_ACCESS_TOKEN',
  id: 'gemini.injected_token',
  kinds: ['gemini'],
  severity: 'warning',
  title: 'no bare GOOGLE_CLOUD_ACCESS_TOKEN hides the stored login',
  why: 'Gemini uses it instead of oauth_creds.json and never refreshes it: an hour later every request fails; `authkeep exec -- gemini` sets a fresh one per run',
  setIn: 'this shell',
})

export const geminiKeychain: Check = {
  id: 'gemini.keychain',
  title: 'Gemini keeps its login in oauth_creds.json, where authkeep keeps it',
  kinds: ['gemini'],
  async run(ctx) {
    const v = ctx.env.GEMINI_FORCE_ENCRYPTED_FILE_STORAGE
    if (v !== 'true' && v !== '1') return []
    return [
      finding(
        'gemini.keychain',
        'warning',
        `GEMINI_FORCE_ENCRYPTED_FILE_STORAGE=${v}`,
        'Gemini then moves the login into the keychain (or its encrypted file when there is none, as on a headless Linux box) and deletes oauth_creds.json: the login authkeep keeps is no longer the one it uses',
        'unset GEMINI_FORCE_ENCRYPTED_FILE_STORAGE',
      ),
    ]
  },
}

export const GEMINI_CHECKS: Check[] = [
  geminiRefreshMissing,
  geminiExpired,
  geminiSelectedType,
  geminiEnvAuth,
  geminiInjectedToken,
  geminiKeychain,
]
