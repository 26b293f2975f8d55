import { readFile, realpath, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../stores/atomicFile.js'
import { type Check, type DoctorContext, finding } from '../finding.js'
import { isRecord, readJson } from './jsonFile.js'
import { editJsonCommand } from './shell.js'

/** Where Claude Code keeps `.claude.json`: inside CLAUDE_CONFIG_DIR when set, else in HOME. */
const stateFile = (ctx: DoctorContext) =>
  ctx.env.CLAUDE_CONFIG_DIR ? join(ctx.env.CLAUDE_CONFIG_DIR, '.claude.json') : join(ctx.home, '.claude.json')

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace('.', '-')

export const onboardingMissing: Check = {
  id: 'onboarding.missing',
  title: 'a token from the environment is not ignored by the first-run wizard',
  kinds: ['claude-code'],
  async run(ctx) {
    const via = ['CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_API_KEY'].find((v) => ctx.env[v])
    if (!via) return []
    const file = stateFile(ctx)
    const read = await readJson(file)
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
    const target = await realpath(file).catch(() => file)
    const before = await readFile(target, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined
      throw err
    })
    const json: unknown = before === undefined ? {} : JSON.parse(before)
    if (!isRecord(json)) throw new Error(`${file} is not a JSON object; not changed`)
    let backup = ''
    if (before !== undefined) {
      backup = `${file}.authkeep-bak-${stamp(ctx.now)}`
      await writeFile(backup, before, { mode: 0o600, flag: 'wx' })
    }
    json.hasCompletedOnboarding = true
    await writeFileAtomic(target, `${JSON.stringify(json, null, 2)}\n`)
    return `set "hasCompletedOnboarding": true in ${file}${backup ? ` (the previous file is in ${backup})` : ''}`
  },
}
