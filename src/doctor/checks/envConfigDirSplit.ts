import { lstat, realpath } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { type Check, finding } from '../finding.js'
import { claudeOauth } from './jsonFile.js'
import { sh } from './shell.js'

const same = async (a: string, b: string) =>
  (await realpath(a).catch(() => resolve(a))) === (await realpath(b).catch(() => resolve(b)))

export const envConfigDirSplit: Check = {
  id: 'env.config_dir_split',
  title:
    'one Claude Code login: CLAUDE_CONFIG_DIR is absolute, matches authkeep, and ~/.claude holds no second one',
  kinds: ['claude-code'],
  async run(ctx) {
    const dir = ctx.env.CLAUDE_CONFIG_DIR
    const kept = ctx.profile.claudeConfigDir
    // config.json's claude_config_dir moves what authkeep keeps; Claude Code only follows the variable.
    if (kept !== undefined && !(await same(kept, dir || join(ctx.home, '.claude')))) {
      return [
        finding(
          'env.config_dir_split',
          'warning',
          `authkeep keeps the login in ${kept} (claude_config_dir in its config), but ${dir ? `CLAUDE_CONFIG_DIR=${dir}` : 'CLAUDE_CONFIG_DIR is not set'}`,
          `Claude Code started from here reads ${dir || join(ctx.home, '.claude')} instead: a login authkeep does not keep fresh`,
          `export CLAUDE_CONFIG_DIR=${sh(resolve(kept))}`,
        ),
      ]
    }
    if (!dir) return []
    if (!isAbsolute(dir)) {
      return [
        finding(
          'env.config_dir_split',
          'warning',
          `CLAUDE_CONFIG_DIR=${dir} is a relative path`,
          'it is resolved against the current directory, so Claude Code finds a different login (or none) in every directory it starts in',
          `export CLAUDE_CONFIG_DIR=${sh(resolve(dir))}`,
        ),
      ]
    }
    const defaultDir = join(ctx.home, '.claude')
    const other = join(defaultDir, '.credentials.json')
    if ((await same(dir, defaultDir)) || !(await lstat(other).catch(() => undefined))) return []
    const a = (await claudeOauth(other))?.refreshToken
    const b = (await claudeOauth(ctx.credentialFile))?.refreshToken
    const copies = typeof a === 'string' && a !== '' && a === b
    return [
      finding(
        'env.config_dir_split',
        'warning',
        `CLAUDE_CONFIG_DIR=${dir} is set, and ${other} holds a second login${copies ? ' with the same refresh token' : ''}`,
        copies
          ? 'two copies of one rotating refresh token: the first refresh through either spends it and logs the other out; a shell, cron job or service without the variable uses the other copy'
          : 'a shell, cron job or service that does not export CLAUDE_CONFIG_DIR uses the other login, which authkeep does not keep fresh: it ends on its own while this one works',
        `mv ${sh(other)} ${sh(`${other}.authkeep-bak`)}`,
      ),
    ]
  },
}
