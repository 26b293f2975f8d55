import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLAUDE_CODE_DEFAULTS } from '../../profiles/claudeCode.js'
import { toProfile } from '../../profiles/profile.js'
import type { DoctorContext } from '../finding.js'

/** For the unit tests: a claude-code context over a scratch directory, with any field replaced. */
export async function fixtureContext(
  over: Partial<DoctorContext> = {},
): Promise<{ ctx: DoctorContext; dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'authkeep-doctor-'))
  const configDir = join(dir, 'claude')
  const ctx: DoctorContext = {
    profile: toProfile('claude-code', CLAUDE_CODE_DEFAULTS),
    env: { CLAUDE_CONFIG_DIR: configDir },
    home: join(dir, 'home'),
    uid: process.getuid?.() ?? 1000,
    host: 'this-machine#000000000000',
    now: new Date(),
    configDir,
    credentialFile: join(configDir, '.credentials.json'),
    online: false,
    refreshNow: undefined,
    ...over,
  }
  return { ctx, dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}
