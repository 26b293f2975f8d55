import { join } from 'node:path'
import { linkTarget, readFileIfExists, writeFileAtomic } from '../../files/atomicFile.js'
import { type Check, type DoctorContext, finding } from '../finding.js'
import { isRecord, readJson } from './jsonFile.js'
import { editJsonCommand } from './shell.js'

/** Where Claude Code keeps `.claude.json`: inside CLAUDE_CONFIG_DIR when set, else in HOME. */
const stateFile = (ctx: DoctorContext) =>
  ctx.env.CLAUDE_CONFIG_DIR ? join(ctx.env.CLAUDE_CONFIG_DIR, '.claude.json') : join(ctx.home, '.claude.json')

/** Claude keeps its project history in this file: it grows far beyond a credential file. */
const STATE_MAX_BYTES = 64 * 1024 * 1024

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace('.', '-')

export const onboardingMissing: Check = {
  id: 'onboarding.missing',
  title: 'a token from the environment is not ignored by the first-run wizard',
  kinds: ['claude-code'],
  async run(ctx) {
    const via = ['CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_API_KEY'].find((v) => ctx.env[v])
    if (!via) return []
    const file = stateFile(ctx)
    const read = await readJson(file, { maxBytes: STATE_MAX_BYTES })
    if (read.state === 'json' && isRecord(read.value) && read.value.hasCompletedOnboarding === true) return []
    const editable = read.state === 'missing' || (read.state === 'json' && isRecord(read.value))
    return [
      finding(
        'onboarding.missing',
        'warning',
        read.state === 'missing'
          ? `${via} is set, but ${file} does not exist`
          : editable
            ? `${via} is set, but ${file} lacks "hasCompletedOnboarding": true`
            : `${via} is set, but ${file} is not a JSON object, so it lacks "hasCompletedOnboarding": true`,
        'on a first interactive run Claude Code shows its theme and login wizard and ignores the token (Claude Code issue 8938); `claude -p` is not affected',
        editable ? editJsonCommand(file, 'j.hasCompletedOnboarding=true') : null,
        editable,
      ),
    ]
  },
  async fix(ctx) {
    const file = stateFile(ctx)
    // Claude rewrites this file often: keep every key it holds, and a copy of what was there.
    const target = await linkTarget(file)
    const before = await readFileIfExists(target, { maxBytes: STATE_MAX_BYTES })
    const json: unknown = before === undefined ? {} : JSON.parse(before)
    if (!isRecord(json)) throw new Error(`${file} is not a JSON object; not changed`)
    let backup = ''
    if (before !== undefined) {
      backup = `${file}.authkeep-bak-${stamp(ctx.now)}`
      // Atomic like every other write: a kill mid-copy must not leave a torn backup beside the file.
      await writeFileAtomic(backup, before)
    }
    json.hasCompletedOnboarding = true
    await writeFileAtomic(target, `${JSON.stringify(json, null, 2)}\n`)
    return `set "hasCompletedOnboarding": true in ${file}${backup ? ` (the previous file is in ${backup})` : ''}`
  },
}
