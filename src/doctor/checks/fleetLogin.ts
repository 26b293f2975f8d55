import { AuthkeepError, ExitCode, LoginRequiredError } from '../../errors.js'
import { fleetToken } from '../../fleet/hostToken.js'
import { resolvePaths } from '../../profiles/paths.js'
import { type Check, finding } from '../finding.js'
import { redact } from './redact.js'

/**
 * A fleet host's profile: its refresh token lives in the fleet, so the login's health is the fleet's.
 * Reads the token as `token` would: a needs-login mark, an unenrolled host or an unreachable etcd show here.
 */
export const fleetLogin: Check = {
  id: 'fleet.login',
  title: 'the fleet serves this host a current token',
  async run(ctx) {
    if (!ctx.profile.fleet) return []
    const reading = {
      paths: resolvePaths(ctx.env, ctx.home),
      uid: ctx.uid,
      host: () => ctx.host,
      now: () => ctx.now,
      warn: () => {},
    }
    try {
      await fleetToken(reading, ctx.profile)
      return []
    } catch (err) {
      if (!(err instanceof AuthkeepError)) throw err
      const unavailable = err.exitCode === ExitCode.unavailable
      return [
        finding(
          'fleet.login',
          unavailable ? 'warning' : 'error',
          redact(err.message),
          err instanceof LoginRequiredError
            ? "the fleet's refreshers were refused this login: a new login must be pushed into the fleet"
            : unavailable
              ? 'this host serves its cached token until it expires, then fails'
              : 'this host cannot read its token from the fleet',
          err instanceof LoginRequiredError
            ? `authkeep login --profile ${ctx.profile.name} && authkeep fleet push --profile ${ctx.profile.name} (on a refresher)`
            : (err.next ?? 'authkeep fleet status'),
        ),
      ]
    }
  },
}
