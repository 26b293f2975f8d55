import type { Check, DoctorContext, Finding, Severity } from '../doctor/finding.js'
import { SEVERITY_ORDER } from '../doctor/finding.js'

export interface Diagnosis {
  findings: Finding[]
  worst: Severity
  /** What `--fix` did, one line each. */
  fixed: string[]
}

const rank = (s: Severity) => SEVERITY_ORDER.indexOf(s)

/** Runs every check that applies to the profile; a check that throws becomes an error finding, not a crash. */
export async function diagnose(
  ctx: DoctorContext,
  checks: Check[],
  opts: { fix: boolean },
): Promise<Diagnosis> {
  const applicable = checks.filter((c) => !c.kinds || c.kinds.includes(ctx.profile.kind))
  const fixed: string[] = []
  const findings: Finding[] = []
  for (const check of applicable) {
    let found: Finding[]
    try {
      found = await check.run(ctx)
    } catch (err) {
      found = [
        {
          id: check.id,
          severity: 'error',
          found: `the check itself failed: ${(err as Error).message}`,
          why: 'doctor could not tell whether this is healthy',
          fix: null,
          autofix: false,
        },
      ]
    }
    for (const f of found) {
      if (opts.fix && f.autofix && check.fix) {
        try {
          fixed.push(await check.fix(ctx, f))
          continue
        } catch (err) {
          // Not fixed: the finding stays in the report, saying why.
          f.found = `${f.found} (--fix failed: ${(err as Error).message})`
        }
      }
      findings.push(f)
    }
  }
  findings.sort((a, b) => rank(b.severity) - rank(a.severity))
  const worst = findings.reduce<Severity>((w, f) => (rank(f.severity) > rank(w) ? f.severity : w), 'ok')
  return { findings, worst, fixed }
}
