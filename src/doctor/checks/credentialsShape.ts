import { linkTarget, writeFileAtomic } from '../../files/atomicFile.js'
import { withFileLocks } from '../../lock/fileLock.js'
import { type Check, finding } from '../finding.js'
import { lockPaths } from './claudeLocks.js'
import { isRecord, present, readJson } from './jsonFile.js'

const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

/** What a non-array `scopes` becomes: a space-separated string is split, anything else gets the login's scopes. */
function normalisedScopes(value: unknown, fallback: string | undefined): string[] {
  const words = typeof value === 'string' ? value : (fallback ?? '')
  return words.split(/\s+/).filter(Boolean)
}

export const credentialsShape: Check = {
  id: 'credentials.shape',
  title: "Claude Code's file has a numeric expiresAt and an array of scopes",
  kinds: ['claude-code'],
  async run(ctx) {
    const read = await readJson(ctx.credentialFile)
    if (read.state !== 'json' || !isRecord(read.value) || !isRecord(read.value.claudeAiOauth)) return []
    const o = read.value.claudeAiOauth
    const found = []
    const file = ctx.credentialFile
    const name = ctx.profile.name
    // With the refresh token gone, refresh.missing says all there is to say (Claude's wipe writes 0 too).
    if (present(o.refreshToken)) {
      const e = o.expiresAt
      if (typeof e !== 'number' || !Number.isFinite(e)) {
        const what = e === undefined ? 'has no expiresAt' : `has an expiresAt that is a ${kindOf(e)}`
        found.push(
          finding(
            'credentials.shape',
            'error',
            `${file} ${what}, not milliseconds since 1970`,
            e === undefined
              ? 'Claude Code then never sees the access token expire: it sends it until the server answers 401, and authkeep cannot tell when to refresh'
              : 'authkeep cannot read the file, and Claude Code compares the wrong type: the access token is never refreshed in time',
            e === undefined
              ? `authkeep refresh --profile ${name} --force`
              : `authkeep reset --profile ${name}`,
          ),
        )
      } else if (e <= 0) {
        found.push(
          finding(
            'credentials.shape',
            'error',
            `${file} has expiresAt ${e}`,
            'a known corruption (Claude Code issue 83834): every process counts the token as expired and refreshes at start-up, so concurrent sessions race on the one rotating refresh token',
            `authkeep refresh --profile ${name} --force`,
          ),
        )
      }
    }
    if (!Array.isArray(o.scopes)) {
      found.push(
        finding(
          'credentials.shape',
          'error',
          `${file} has ${o.scopes === undefined ? 'no scopes' : `scopes as a ${kindOf(o.scopes)}`}, not an array`,
          'Claude Code hangs at start-up on a non-array scopes (its changelog, 2.1.143)',
          `authkeep refresh --profile ${name} --force`,
          true,
        ),
      )
    }
    return found
  },
  async fix(ctx) {
    // Under Claude's own locks, so a refresh it writes meanwhile is not overwritten with older tokens.
    return withFileLocks(await lockPaths(ctx), { timeoutMs: 5_000 }, async () => {
      const read = await readJson(ctx.credentialFile)
      if (read.state !== 'json' || !isRecord(read.value) || !isRecord(read.value.claudeAiOauth)) {
        throw new Error(`${ctx.credentialFile} changed while doctor ran; run doctor again`)
      }
      const o = read.value.claudeAiOauth
      if (Array.isArray(o.scopes)) return `scopes in ${ctx.credentialFile} were already an array`
      const scopes = normalisedScopes(o.scopes, ctx.profile.scope)
      o.scopes = scopes
      // Through a symlink to its target, as the store writes: the link stays a link.
      const target = await linkTarget(ctx.credentialFile)
      await writeFileAtomic(target, JSON.stringify(read.value))
      return `set scopes in ${ctx.credentialFile} to ${JSON.stringify(scopes)} (the next refresh replaces them with what the server granted)`
    })
  },
}
