import { lstat } from 'node:fs/promises'
import { type Check, finding } from '../finding.js'

export const credentialsMissing: Check = {
  id: 'credentials.missing',
  title: 'the credential file exists',
  async run(ctx) {
    // A fleet host's record is only a cache of the fleet's token: fleet.login says whether it can be had.
    if (ctx.profile.fleet) return []
    const exists = await lstat(ctx.credentialFile).then(
      () => true,
      () => false,
    )
    if (exists) return []
    return [
      finding(
        'credentials.missing',
        'error',
        `no credential file at ${ctx.credentialFile}`,
        'without it there is no login: every request fails with "Not logged in · Please run /login"',
        `authkeep login --profile ${ctx.profile.name}`,
      ),
    ]
  },
}
