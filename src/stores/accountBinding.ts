import { dirname, join } from 'node:path'
import { readFileIfExists } from '../files/atomicFile.js'
import { checkAccountName } from './accountSlots.js'

export const BINDING_FILE = '.authkeep-account'

export interface Binding {
  account: string
  file: string
}

/**
 * The account a directory (or its nearest parent with a `.authkeep-account`) names for `profile`. The
 * file holds lines `NAME` (any profile) or `PROFILE=NAME`; `#` starts a comment. The nearest file wins.
 */
export async function bindingFor(cwd: string, profile: string): Promise<Binding | undefined> {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const file = join(dir, BINDING_FILE)
    const text = await readFileIfExists(file).catch(() => undefined)
    if (text !== undefined) {
      const account = parseBinding(file, text, profile)
      if (account !== undefined) return { account, file }
    }
    if (dirname(dir) === dir) return undefined
  }
}

function parseBinding(file: string, text: string, profile: string): string | undefined {
  let any: string | undefined
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim()
    if (line === '') continue
    const eq = line.indexOf('=')
    if (eq < 0) {
      any ??= checkAccountName(line, file)
      continue
    }
    if (line.slice(0, eq).trim() === profile) return checkAccountName(line.slice(eq + 1).trim(), file)
  }
  return any
}
