import { UsageError } from '../errors.js'
import { PROFILE_NAME } from '../profiles/profile.js'

/** What the remote hands to the laptop: the authorize URL alone, whose parameters are public. */
export interface HandoffRequest {
  v: 1
  profile: string
  url: string
}

const PREFIX = 'akh1.'

export function encodeRequest(req: HandoffRequest): string {
  return PREFIX + Buffer.from(JSON.stringify(req)).toString('base64url')
}

export function decodeRequest(blob: string): HandoffRequest {
  const bad = new UsageError(
    'the hand-off text is not one that `authkeep login --method handoff` printed (copy the whole line)',
    'authkeep login --method handoff',
  )
  const text = blob.trim().replace(/^['"]|['"]$/g, '')
  if (!text.startsWith(PREFIX)) throw bad
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(text.slice(PREFIX.length), 'base64url').toString('utf8'))
  } catch {
    throw bad
  }
  const r = parsed as Partial<HandoffRequest>
  // The profile name is printed and looked up: only a valid name, so no control character reaches a terminal.
  if (
    r.v !== 1 ||
    typeof r.url !== 'string' ||
    typeof r.profile !== 'string' ||
    !PROFILE_NAME.test(r.profile)
  )
    throw bad
  let url: URL
  try {
    url = new URL(r.url)
  } catch {
    throw bad
  }
  if (
    !/^https?:$/.test(url.protocol) ||
    !url.searchParams.get('state') ||
    !url.searchParams.get('code_challenge')
  )
    throw bad
  return { v: 1, profile: r.profile, url: url.href }
}
