import { lstat, readlink } from 'node:fs/promises'
import { ConfigError } from '../../errors.js'
import { readFileIfExists } from '../../files/atomicFile.js'
import { claudeFileSchema } from '../../stores/claudeCodeStore.js'
import { codexAuthSchema } from '../../stores/codexStore.js'
import { parseCopilotFile } from '../../stores/copilotStore.js'
import { recordSchema } from '../../stores/credential.js'
import { parseGeminiFile } from '../../stores/geminiStore.js'
import { type Check, type DoctorContext, type Finding, finding } from '../finding.js'
import { readJson } from './jsonFile.js'

// expiresAt of the wrong type is credentials.shape's finding, with its own fix.
const SHAPE_PATHS = new Set(['claudeAiOauth.expiresAt'])

export const credentialsUnparseable: Check = {
  id: 'credentials.unparseable',
  title: 'the credential file is JSON in the expected shape',
  async run(ctx) {
    const fix = `authkeep reset --profile ${ctx.profile.name}`
    // Gemini's and Copilot's files (Copilot's has comment lines) are judged by the store that reads them.
    if (ctx.profile.kind === 'gemini' || ctx.profile.kind === 'copilot') return clientFile(ctx, fix)
    const read = await readJson(ctx.credentialFile)
    const claude = ctx.profile.kind === 'claude-code'
    const why = claude
      ? 'Claude Code cannot read its login from it and asks for /login; authkeep cannot refresh it either'
      : 'authkeep cannot read the login from it, so `authkeep token` fails until it is replaced'
    const broken = (what: string) =>
      finding('credentials.unparseable', 'error', `${ctx.credentialFile} ${what}`, why, fix)
    switch (read.state) {
      case 'missing': {
        // lstat found something (credentials.missing is quiet) but reading did not: a dangling symlink.
        const link = await lstat(ctx.credentialFile).catch(() => undefined)
        if (!link?.isSymbolicLink()) return []
        return [
          finding(
            'credentials.unparseable',
            'error',
            `${ctx.credentialFile} is a symlink to ${await readlink(ctx.credentialFile)}, which does not exist`,
            'there is no login to read: Claude Code asks for /login',
            `authkeep login --profile ${ctx.profile.name}`,
          ),
        ]
      }
      case 'unreadable':
        return [
          finding(
            'credentials.unparseable',
            'error',
            `${ctx.credentialFile} ${read.why}`,
            why,
            // Outside doctor an unreadable file points here; here its own cure (ls -l…) or a reset.
            read.fix && read.fix !== 'authkeep doctor' ? read.fix : fix,
          ),
        ]
      case 'empty':
        return [broken('is empty (a save that crashed half-way leaves this)')]
      case 'invalid':
        return [
          broken(`is not valid JSON${read.position === undefined ? '' : ` (at byte ${read.position})`}`),
        ]
    }
    const codex = ctx.profile.kind === 'codex'
    const result = (claude ? claudeFileSchema : codex ? codexAuthSchema : recordSchema).safeParse(read.value)
    if (result.success) return []
    const issue = result.error.issues.find((i) => !SHAPE_PATHS.has(i.path.join('.')))
    if (!issue) return []
    const field = issue.path.length ? `field "${issue.path.join('.')}"` : 'the top level'
    return [
      broken(
        `is JSON, but not in ${claude ? "Claude Code's" : codex ? "Codex's" : "authkeep's"} shape: ${field}: ${issue.message}`,
      ),
    ]
  },
}

/** Gemini's and Copilot's files, read and judged by the parsers their stores use. */
async function clientFile(ctx: DoctorContext, fix: string): Promise<Finding[]> {
  const parse = ctx.profile.kind === 'gemini' ? parseGeminiFile : parseCopilotFile
  let error: unknown
  try {
    const content = await readFileIfExists(ctx.credentialFile)
    if (content !== undefined) parse(ctx.credentialFile, content)
  } catch (err) {
    error = err
  }
  if (!(error instanceof ConfigError)) return []
  return [
    finding(
      'credentials.unparseable',
      'error',
      error.message,
      `${ctx.profile.kind === 'gemini' ? 'Gemini CLI' : 'Copilot CLI'} cannot read its login from it, and authkeep neither`,
      error.next && error.next !== 'authkeep doctor' ? error.next : fix,
    ),
  ]
}
