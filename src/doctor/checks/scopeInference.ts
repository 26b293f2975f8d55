import { quoteInput } from '../../validation.js'
import { type Check, finding } from '../finding.js'
import { isRecord, present, readJson } from './jsonFile.js'

/** Seen with the real binary: a stored login whose scopes lack this is "Not logged in" to Claude Code. */
const INFERENCE = 'user:inference'

export const scopeInference: Check = {
  id: 'credentials.scope_inference',
  title: 'the stored login carries the user:inference scope Claude Code needs',
  kinds: ['claude-code'],
  async run(ctx) {
    const read = await readJson(ctx.credentialFile)
    if (read.state !== 'json' || !isRecord(read.value)) return []
    const o = read.value.claudeAiOauth
    // Shape problems (no login, scopes not an array) are other checks' findings.
    if (!isRecord(o) || !present(o.accessToken) || !Array.isArray(o.scopes)) return []
    if (o.scopes.includes(INFERENCE)) return []
    // Printed from a file anyone may have edited: strings only, each quoted onto one masked line.
    const shown = o.scopes
      .filter((x): x is string => typeof x === 'string')
      .map((x) => quoteInput(x))
      .join(', ')
    return [
      finding(
        'credentials.scope_inference',
        'error',
        `the login in ${ctx.credentialFile} has the scopes [${shown}], without ${INFERENCE}`,
        'Claude Code does not use a stored login without user:inference: it answers "Not logged in · Please run /login" although the tokens are valid',
        `authkeep reset --profile ${ctx.profile.name}`,
      ),
    ]
  },
}
