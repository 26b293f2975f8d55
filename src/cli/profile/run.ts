import { ExitCode, UsageError } from '../../errors.js'
import { revocationNeedsClientAuth } from '../../oauth/revocation.js'
import { assertNewProfileName, loadConfig, pickProfile, putProfile } from '../../profiles/configFile.js'
import { toProfile } from '../../profiles/profile.js'
import { buildProfile } from '../../usecases/addProfile.js'
import { checkClientSecret } from '../../usecases/clientSecret.js'
import { removeProfile } from '../../usecases/removeProfile.js'
import type { Run } from '../dispatch.js'
import type { ProfileAction } from './options.js'

export const profileRun: Run<ProfileAction> = async (deps, a) => {
  const config = await loadConfig(deps.paths)
  const { io } = deps
  switch (a.action) {
    case 'add': {
      assertNewProfileName(config, a.name)
      const o = a.opts
      if (o.allowInsecureHttp)
        io.err('! --allow-insecure-http: tokens for this profile may cross the network unencrypted.\n')
      if (typeof o.clientSecret === 'string')
        throw new UsageError(
          '--client-secret takes no value: a secret on the command line is seen by other users in ps and kept in shell history; it is read from a hidden prompt or stdin (change it at the provider if it was real)',
          `authkeep profile add ${a.name} … --client-secret`,
        )
      const secret = o.clientSecret
        ? checkClientSecret(await deps.prompter.secret('Client secret (input hidden): '), a.name)
        : undefined
      const record = await buildProfile({
        name: a.name,
        issuer: o.issuer,
        authorizationEndpoint: o.authorizationEndpoint,
        tokenEndpoint: o.tokenEndpoint,
        deviceAuthorizationEndpoint: o.deviceAuthorizationEndpoint,
        revocationEndpoint: o.revocationEndpoint,
        clientId: o.clientId,
        scope: o.scope,
        allowInsecureHttp: o.allowInsecureHttp === true,
        store: o.store,
        refreshMarginSeconds: o.refreshMargin,
        pasteRedirectUri: o.pasteRedirectUri,
        loopbackPort: o.loopbackPort,
        now: deps.clock.now(),
      })
      const where = secret
        ? await deps.clientSecrets.set(
            a.name,
            { kind: 'client_secret', value: secret.reveal(), expiresAt: undefined },
            record.store ?? 'auto',
            deps.clock.now(),
          )
        : undefined
      await putProfile(config, a.name, record)
      const profile = { ...toProfile(a.name, record), clientSecret: secret }
      const flows = [
        record.device_authorization_endpoint && 'device',
        record.authorization_endpoint && 'loopback, paste',
      ].filter(Boolean)
      const revocation = !record.revocation_endpoint
        ? 'no'
        : revocationNeedsClientAuth(profile)
          ? 'needs client authentication'
          : 'yes'
      const client = where
        ? `client secret in ${where === 'keyring' ? 'the keyring' : deps.clientSecrets.file(a.name)}`
        : 'public client'
      io.err(
        `Added profile "${a.name}" (login flows: ${flows.join(', ') || 'none'}; revocation: ${revocation}; ${client}).\n`,
      )
      io.err(`Next, run: authkeep login --profile ${a.name}\n`)
      return ExitCode.ok
    }
    case 'list': {
      const names = [...config.profiles.keys()]
      io.out(a.json ? `${JSON.stringify({ profiles: names })}\n` : names.map((n) => `${n}\n`).join(''))
      return ExitCode.ok
    }
    case 'show': {
      const profile = pickProfile(config, a.name, deps.processEnv, 'profile show')
      io.out(`${JSON.stringify({ name: profile.name, ...config.raw.profiles[profile.name] }, null, 2)}\n`)
      return ExitCode.ok
    }
    case 'remove': {
      const profile = pickProfile(config, a.name, deps.processEnv, 'profile remove')
      const { backup, credential } = await removeProfile(deps, config, profile)
      io.err(
        `Removed profile "${profile.name}".${backup ? ` Its credential was kept at ${backup}${credential?.refreshToken ? ' (not revoked: use `authkeep logout` first to revoke)' : ''}.` : ''}\n`,
      )
      return ExitCode.ok
    }
  }
}
