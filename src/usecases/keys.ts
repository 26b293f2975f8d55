import { join } from 'node:path'
import type { Deps } from '../deps.js'
import { UsageError } from '../errors.js'
import { writeFileAtomic } from '../files/atomicFile.js'
import type { KeyKind } from '../stores/keyStore.js'

/** Claude's token prefixes: `sk-ant-api…` keys go in x-api-key, `sk-ant-oat…` tokens are OAuth bearers. */
export function recogniseKind(value: string): KeyKind | undefined {
  if (/^sk-ant-api\d*-/.test(value)) return 'api_key'
  if (/^sk-ant-oat\d*-/.test(value)) return 'oauth_token'
  // Google's API keys, its OAuth access tokens, and GitHub's user and app tokens.
  if (/^AIza/.test(value)) return 'api_key'
  if (/^ya29\./.test(value) || /^(gh[oup]_|github_pat_)/.test(value)) return 'oauth_token'
  return undefined
}

/** Longer than any API key or token seen (a JWT is a few KiB): more is a file pasted by mistake. */
export const MAX_KEY_LENGTH = 16 * 1024

/** One line of printable, non-blank characters: what a pasted key looks like, and nothing else. */
export function checkKeyText(value: string, profile: string): string {
  const key = value.trim()
  if (key === '')
    throw new UsageError(
      'no key was given (empty input); nothing was stored',
      `authkeep key set --profile ${profile}`,
    )
  if (key.length > MAX_KEY_LENGTH)
    throw new UsageError(
      `the key is ${key.length} characters long, more than the ${MAX_KEY_LENGTH} a key can be; paste exactly one key; nothing was stored`,
      `authkeep key set --profile ${profile}`,
    )
  if (/\s/.test(key) || !/^[\x21-\x7e]+$/.test(key)) {
    throw new UsageError(
      'the key has spaces or unprintable characters; paste exactly one key; nothing was stored',
      `authkeep key set --profile ${profile}`,
    )
  }
  return key
}

/** Keeps a 0600 copy of the key file before it is replaced or removed. */
export async function backupKeyFile(
  deps: Deps,
  profile: string,
  reason: string,
): Promise<string | undefined> {
  const stored = await deps.keys.get(profile).catch(() => undefined)
  if (!stored) return undefined
  const stamp = deps.clock.now().toISOString().replace(/[:.]/g, '-')
  const file = join(deps.paths.backupsDir, `${profile}.key`, `${stamp}-${reason}.json`)
  await writeFileAtomic(
    file,
    `${JSON.stringify({ kind: 'authkeep-key-backup', profile, key_kind: stored.kind, value: stored.value }, null, 2)}\n`,
  )
  return file
}
