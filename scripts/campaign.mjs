// `npm run campaign`: the reliability checks of the test suite with their full trial counts.
// Each area's test file reads its count from the environment and prints one line
//   CAMPAIGN <area> trials=N failures=N lost=N leaked=N
// which this script collects into a summary; any failure, loss or leak fails the campaign.
import { spawnSync } from 'node:child_process'

const AREAS = [
  { file: 'test/e2e/refreshCrash.test.ts', env: { AUTHKEEP_CRASH_TRIALS: '1000' } },
  { file: 'test/e2e/crashCampaign.test.ts', env: { AUTHKEEP_CAMPAIGN_TRIALS: '1000' } },
  { file: 'test/e2e/codexCrash.test.ts', env: { AUTHKEEP_CODEX_CRASH_TRIALS: '1000' } },
  { file: 'test/e2e/aiCliCrash.test.ts', env: { AUTHKEEP_CAMPAIGN_TRIALS: '200' } },
  { file: 'test/e2e/accountsCrash.test.ts', env: { AUTHKEEP_CAMPAIGN_TRIALS: '200' } },
  { file: 'test/e2e/faultTable.test.ts', env: { AUTHKEEP_FAULT_ROUNDS: '20' } },
  { file: 'test/e2e/fuzz.test.ts', env: { AUTHKEEP_FUZZ_RUNS: '10000' } },
]

const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' })
if (build.status !== 0) process.exit(build.status ?? 1)

const summary = []
let bad = false
for (const area of AREAS) {
  const r = spawnSync(process.execPath, ['scripts/test.mjs', area.file], {
    env: { ...process.env, ...area.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /^\s*#?\s*CAMPAIGN /.test(l))
  if (r.status !== 0 || lines.length === 0) {
    bad = true
    summary.push(`${area.file}: the run failed (exit ${r.status})`)
    process.stderr.write(r.stdout.slice(-4000))
  }
  for (const l of lines) {
    const line = l.replace(/^\s*#?\s*/, '')
    summary.push(line)
    if (/(failures|lost|leaked)=[1-9]/.test(line)) bad = true
  }
}
console.log('\nCampaign summary (area, trials, failures, lost, leaked):')
for (const s of summary) console.log(s)
process.exit(bad ? 1 : 0)
