import { ConfigError } from '../../errors.js'
import { type ReadRules, readFileIfExists } from '../../files/atomicFile.js'

export type JsonRead =
  | { state: 'missing' }
  /** `why` says what is wrong ("cannot be read (EACCES)", "is a FIFO…"); `fix`, when known, the cure. */
  | { state: 'unreadable'; why: string; fix: string | undefined }
  | { state: 'empty' }
  | { state: 'invalid'; position: number | undefined }
  | { state: 'json'; value: unknown }

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Reads a JSON file without throwing. V8's parse errors quote the text around the fault, which here may
 * be a token, so only the position is kept.
 */
export async function readJson(path: string, rules: ReadRules = {}): Promise<JsonRead> {
  let text: string | undefined
  try {
    text = await readFileIfExists(path, rules)
  } catch (err) {
    if (err instanceof ConfigError) return { state: 'unreadable', why: err.detail, fix: err.next }
    return { state: 'unreadable', why: `cannot be read (${(err as Error).message})`, fix: undefined }
  }
  if (text === undefined) return { state: 'missing' }
  if (text.trim() === '') return { state: 'empty' }
  try {
    return { state: 'json', value: JSON.parse(text) }
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message)?.[1]
    return { state: 'invalid', position: at === undefined ? undefined : Number(at) }
  }
}

/** `claudeAiOauth` of Claude's credential file when the file is JSON and the key an object. */
export async function claudeOauth(credentialFile: string): Promise<Record<string, unknown> | undefined> {
  const read = await readJson(credentialFile)
  if (read.state !== 'json' || !isRecord(read.value)) return undefined
  const oauth = read.value.claudeAiOauth
  return isRecord(oauth) ? oauth : undefined
}

/** A token Claude would use: a non-empty string (it writes "" when it wipes a login). */
export const present = (v: unknown): v is string => typeof v === 'string' && v !== ''
