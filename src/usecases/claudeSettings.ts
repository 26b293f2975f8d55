import { join } from 'node:path'
import type { Deps } from '../deps.js'
import { ConfigError } from '../errors.js'
import { readFileIfExists, writeFileAtomic } from '../files/atomicFile.js'
import { jsonProblem } from '../validation.js'

/** The shell command Claude Code runs as apiKeyHelper: this authkeep, with the same AUTHKEEP_HOME. */
export function helperCommand(self: string[], profile: string, env: NodeJS.ProcessEnv): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const home = env.AUTHKEEP_HOME ? `AUTHKEEP_HOME=${q(env.AUTHKEEP_HOME)} ` : ''
  return `${home}${self.map(q).join(' ')} claude helper --profile ${q(profile)}`
}

export interface SettingsChange {
  file: string
  backup: string | undefined
  previous: unknown
}

/**
 * Sets (or, with `command` undefined, removes) apiKeyHelper in Claude's user settings.json, keeping
 * every other setting and a 0600 copy of the file as it was.
 */
export async function setApiKeyHelper(
  deps: Deps,
  configDir: string,
  command: string | undefined,
): Promise<SettingsChange> {
  const file = join(configDir, 'settings.json')
  const text = await readFileIfExists(file)
  let settings: Record<string, unknown> = {}
  if (text !== undefined && text.trim() !== '') {
    try {
      settings = JSON.parse(text)
    } catch (err) {
      throw new ConfigError(file, `${jsonProblem(err)}; nothing was changed`, `\${EDITOR:-vi} ${file}`)
    }
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
      throw new ConfigError(file, 'is not a JSON object; nothing was changed', `\${EDITOR:-vi} ${file}`)
    }
  }
  let backup: string | undefined
  if (text !== undefined) {
    backup = `${file}.authkeep-bak-${deps.clock.now().toISOString().replace(/[:.]/g, '-')}`
    await writeFileAtomic(backup, text)
  }
  const previous = settings.apiKeyHelper
  const { apiKeyHelper: _old, ...rest } = settings
  const next = command === undefined ? rest : { ...rest, apiKeyHelper: command }
  await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`)
  return { file, backup, previous }
}
