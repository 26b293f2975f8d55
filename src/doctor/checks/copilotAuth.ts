import { readFileIfExists } from '../../files/atomicFile.js'
import { copilotHost } from '../../profiles/copilot.js'
import { mask, Secret } from '../../secret.js'
import { currentLogin, parseCopilotFile } from '../../stores/copilotStore.js'
import { type Check, type DoctorContext, finding } from '../finding.js'

/** Copilot's variables, in the order it reads them; each outranks the stored login. */
const TOKEN_VARIABLES = ['COPILOT_GITHUB_TOKEN', 'GH_TOKEN', 'GITHUB_TOKEN'] as const

export const copilotEnvToken: Check = {
  id: 'copilot.env_token',
  title: 'no COPILOT_GITHUB_TOKEN / GH_TOKEN / GITHUB_TOKEN outranks the stored login',
  kinds: ['copilot'],
  async run(ctx) {
    const name = TOKEN_VARIABLES.find((v) => ctx.env[v])
    if (!name) return []
    const value = ctx.env[name] ?? ''
    if (value.startsWith('ghp_')) {
      return [
        finding(
          'copilot.env_token',
          'error',
          `${name} holds a classic personal access token (${mask(value)})`,
          'Copilot CLI takes it before the stored login and refuses classic PATs: every request fails',
          `unset ${name}`,
        ),
      ]
    }
    return [
      finding(
        'copilot.env_token',
        'warning',
        `${name} is set (${mask(value)})`,
        `Copilot CLI uses it before the login in config.json (${TOKEN_VARIABLES.join(' > ')} > stored login): when it lacks Copilot access or is revoked, requests fail while the stored login goes unused`,
        `unset ${name}`,
      ),
    ]
  },
}

/** The login Copilot would use from its config.json for the profile's host; undefined when none or unreadable. */
async function storedLogin(ctx: DoctorContext) {
  try {
    const content = await readFileIfExists(ctx.credentialFile)
    if (content === undefined) return undefined
    return {
      login: currentLogin(parseCopilotFile(ctx.credentialFile, content).raw, copilotHost(ctx.profile)),
    }
  } catch {
    // credentials.unparseable speaks for a file that cannot be read.
    return undefined
  }
}

export const copilotNoKeychain: Check = {
  id: 'copilot.no_keychain',
  title: 'Copilot has a login it can read on this machine',
  kinds: ['copilot'],
  async run(ctx) {
    // credentials.missing speaks for an absent file.
    const stored = await storedLogin(ctx)
    if (!stored || stored.login?.token) return []
    const keychain = Boolean(ctx.env.DBUS_SESSION_BUS_ADDRESS)
    return [
      finding(
        'copilot.no_keychain',
        'error',
        `${ctx.credentialFile} holds no login for ${copilotHost(ctx.profile)}`,
        keychain
          ? 'Copilot may keep its login in the keychain, where authkeep cannot see it; on a server the keychain is usually locked or absent'
          : 'this machine has no keychain (no D-Bus session), so `copilot login` answers "Login succeeded, but the token was not saved"; authkeep stores the login in the plaintext config.json Copilot reads here',
        `authkeep login --profile ${ctx.profile.name}`,
      ),
    ]
  },
}

export const copilotOnline: Check = {
  id: 'copilot.online',
  title: 'GitHub accepts the stored token (--online)',
  kinds: ['copilot'],
  async run(ctx) {
    const token = (await storedLogin(ctx))?.login?.token
    const endpoint = ctx.profile.endpoints.userinfo
    if (!ctx.online || !token || !endpoint) return []
    const { githubLogin } = await import('../../oauth/githubLogin.js')
    try {
      await githubLogin(endpoint, new Secret(token), ctx.profile.name)
      return []
    } catch (err) {
      const refused = /HTTP 401/.test((err as Error).message)
      return [
        finding(
          'copilot.online',
          refused ? 'error' : 'warning',
          refused
            ? `${endpoint} refused the stored token (HTTP 401)`
            : `could not ask ${endpoint} about the stored token: ${(err as Error).message}`,
          refused
            ? 'the token was revoked (by you, an organisation policy or GitHub); it cannot be refreshed, only replaced'
            : 'doctor could not confirm that GitHub still accepts the token',
          refused ? `authkeep reset --profile ${ctx.profile.name}` : null,
        ),
      ]
    }
  },
}

export const COPILOT_CHECKS: Check[] = [copilotEnvToken, copilotNoKeychain, copilotOnline]
