import { readFile } from 'node:fs/promises'

export type JsonRead =
  | { state: 'missing' }
  | { state: 'unreadable'; code: string }
  | { state: 'empty' }
  | { state: 'invalid'; position: number | undefined }
  | { state: 'json'; value: unknown }

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Reads a JSON file without throwing. V8's parse errors quote the text around the fault, which here may
 * be a token, so only the position is kept.
 */
export async function readJson(path: string): Promise<JsonRead> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO'
    return code === 'ENOENT' ? { state: 'missing' } : { state: 'unreadable', code }
  }
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
