// Start-up cost of the hot path: `authkeep token` with a valid cached token, against bare `node -e 0`,
// measured alternately in one run so both see the same machine state. Prints medians and the ratio.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const RUNS = Number(process.env.BENCH_RUNS ?? 30)
const WARMUP = 3
const BIN = resolve(import.meta.dirname, '../bin/authkeep.mjs')

const home = mkdtempSync(join(tmpdir(), 'authkeep-bench-'))
const env = { PATH: process.env.PATH, HOME: home, AUTHKEEP_HOME: home }
const token = 'bench-access-token-0123456789abcdef'
const now = new Date()
writeFileSync(
  join(home, 'config.json'),
  JSON.stringify({
    version: 1,
    profiles: { bench: { token_endpoint: 'https://auth.invalid/token', client_id: 'bench', store: 'file' } },
  }),
  { mode: 0o600 },
)
mkdirSync(join(home, 'state', 'credentials'), { recursive: true, mode: 0o700 })
writeFileSync(
  join(home, 'state', 'credentials', 'bench.json'),
  JSON.stringify({
    version: 1,
    profile: 'bench',
    state: 'active',
    secrets_in: 'file',
    token_type: 'Bearer',
    access_token: token,
    refresh_token: 'bench-refresh-token-0123456789',
    expires_at: new Date(now.getTime() + 86_400_000).toISOString(),
    obtained_at: now.toISOString(),
    updated_at: now.toISOString(),
    host: 'bench',
  }),
  { mode: 0o600 },
)

const cases = {
  'node -e 0': [process.execPath, ['-e', '0']],
  'authkeep token': [process.execPath, [BIN, 'token', '--profile', 'bench']],
}

function once([cmd, args]) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`)
  return { ms, stdout: r.stdout }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

try {
  if (once(cases['authkeep token']).stdout !== `${token}\n`)
    throw new Error('authkeep token printed something else')
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const [name, c] of Object.entries(cases)) {
      const { ms } = once(c)
      if (i >= WARMUP) times[name].push(ms)
    }
  }
  const base = median(times['node -e 0'])
  console.log(`| command | median ms (${RUNS} runs) | ratio to node -e 0 |`)
  console.log('|---|---|---|')
  for (const [name, xs] of Object.entries(times)) {
    console.log(`| ${name} | ${median(xs).toFixed(1)} | ${(median(xs) / base).toFixed(2)}x |`)
  }
} finally {
  rmSync(home, { recursive: true, force: true })
}

// The keep-alive daemon's idle cost: resident memory with 50 profiles and its wake-ups per hour.
const keepalive = spawnSync(process.execPath, [resolve(import.meta.dirname, 'keepalive.mjs')], {
  stdio: 'inherit',
})
if (keepalive.status !== 0) process.exit(keepalive.status ?? 1)
