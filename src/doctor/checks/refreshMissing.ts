import { type Check, finding } from '../finding.js'
import { isRecord, present, readJson } from './jsonFile.js'

export const refreshMissing: Check = {
  id: 'refresh.missing',
  title: 'the credential file holds a refresh token',
  kinds: ['claude-code'],
  async run(ctx) {
    const read = await readJson(ctx.credentialFile)
    if (read.state !== 'json' || !isRecord(read.value)) return []
    const o = read.value.claudeAiOauth
    const name = ctx.profile.name
    if (o === undefined) {
      return [
        finding(
          'refresh.missing',
          'error',
          `${ctx.credentialFile} holds no Claude login (no claudeAiOauth)`,
          'Claude Code answers "Not logged in · Please run /login"',
          `authkeep login --profile ${name}`,
        ),
      ]
    }
    if (!isRecord(o) || present(o.refreshToken)) return []
    const wiped = o.refreshToken === '' && !present(o.accessToken)
    return [
      finding(
        'refresh.missing',
        'error',
        wiped
          ? `the tokens in ${ctx.credentialFile} are empty: Claude Code wipes them when the server rejects the refresh token (invalid_grant)`
          : `${ctx.credentialFile} has ${o.refreshToken === '' ? 'an empty' : 'no'} refresh token`,
        'without a refresh token the login ends when the access token expires, and nothing can renew it',
        `authkeep reset --profile ${name}`,
      ),
    ]
  },
}
