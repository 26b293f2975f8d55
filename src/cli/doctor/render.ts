import type { Finding, Severity } from '../../doctor/finding.js'
import { printable } from '../../printable.js'
import type { Diagnosis } from '../../usecases/diagnose.js'

const MARK: Record<Severity, string> = { ok: '✓', info: '-', warning: '!', error: 'X' }

export function renderDiagnosis(profile: string, d: Diagnosis): string {
  const lines = d.fixed.map((f) => `✓ fixed: ${f}`)
  const problems = d.findings.filter((f: Finding) => f.severity !== 'ok')
  if (problems.length === 0) lines.push(`✓ profile "${profile}": no problems found`)
  for (const f of problems) {
    lines.push(`${MARK[f.severity]} ${f.severity} ${f.id}: ${f.found}`, `    why: ${f.why}`)
    if (f.fix) lines.push(`    fix: ${f.fix}${f.autofix ? '   (or: authkeep doctor --fix)' : ''}`)
  }
  // Findings quote files, settings and servers: each line is shown, never obeyed by the terminal.
  return `${lines.map((l) => printable(l)).join('\n')}\n`
}
