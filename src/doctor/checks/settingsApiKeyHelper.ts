import { join } from 'node:path'
import { type Check, finding } from '../finding.js'
import { isRecord, readJson } from './jsonFile.js'
import { ANY_API_KEY, BEARER_ORDER } from './precedence.js'
import { redact } from './redact.js'
import { editJsonCommand } from './shell.js'

export const settingsApiKeyHelper: Check = {
  id: 'settings.api_key_helper',
  title: "no apiKeyHelper in Claude Code's user settings outranks the login",
  kinds: ['claude-code'],
  async run(ctx) {
    if (ctx.configDir === undefined) return []
    const file = join(ctx.configDir, 'settings.json')
    const read = await readJson(file)
    if (read.state !== 'json' || !isRecord(read.value)) return []
    const helper = read.value.apiKeyHelper
    if (typeof helper !== 'string' || helper.trim() === '') return []
    const found = `apiKeyHelper in ${file} runs: ${redact(helper)}`
    // A helper that asks authkeep for the token hands Claude the login authkeep keeps fresh.
    if (/\bauthkeep\b/.test(helper)) {
      return [
        finding(
          'settings.api_key_helper',
          'info',
          found,
          `it asks authkeep, so Claude Code gets the credential authkeep keeps fresh (it re-runs the helper every 5 minutes and on a 401; ${BEARER_ORDER})`,
          null,
        ),
      ]
    }
    return [
      finding(
        'settings.api_key_helper',
        'warning',
        found,
        `its output outranks CLAUDE_CODE_OAUTH_TOKEN and the credential file (${BEARER_ORDER}), and it is sent as x-api-key too: ${ANY_API_KEY}`,
        editJsonCommand(file, 'delete j.apiKeyHelper'),
      ),
    ]
  },
}
