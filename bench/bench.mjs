// authkeep's benchmarks, printed as one markdown table (no assertions: figures, not verdicts):
// - start-up of `authkeep token` (fresh cached token) and `authkeep status` against bare `node -e 0`, of
//   `token` from the single executable (scripts/buildExe.mjs) against `token` from the npm install, and
//   of `authkeep exec -- true` (stored key, no network) against `true`: every case in turn in each round,
//   so all see the same machine state; medians over the rounds, ratios from those medians;
// - 64 concurrent `authkeep token` on an expired token against the real local authorization server
//   (bench/stampede.ts): refreshes seen, failures, wall time against one `authkeep refresh --force`
//   and against the same 64 processes on a fresh token;
// - the keep-alive daemon's idle memory and wake-ups with 50 profiles (bench/keepalive.mjs);
// - the fleet (issue 10): a refresh cycle of 1000 profiles on etcd, takeover, a host's `token` (bench/fleet.mjs).
// BENCH_RUNS sets the start-up rounds (default 30); BENCH_QUICK=1 shortens everything (10 rounds,
// 2 stampede rounds, a short keep-alive window).
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { arch, cpus, release, tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'

const QUICK = process.env.BENCH_QUICK === '1'
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 10 : 30))
const STAMPEDE_ROUNDS = Number(process.env.BENCH_STAMPEDE_ROUNDS ?? (QUICK ? 2 : 5))
const WARMUP = 3
const HERE = import.meta.dirname
// What `authkeep` runs once installed: package.json's bin.
const BIN = resolve(
  HERE,
  '..',
  JSON.parse(readFileSync(resolve(HERE, '../package.json'), 'utf8')).bin.authkeep,
)
const CJS_BIN = resolve(HERE, '../bin/authkeep.cjs')
const EXE = resolve(HERE, '../dist-exe', `authkeep-linux-${arch()}`)
const TRUE = ['/bin/true', '/usr/bin/true'].find((p) => spawnSync(p).status === 0) ?? 'true'

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

function machine() {
  let os = `${process.platform} ${release()}`
  try {
    const name = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]
    if (name) os = `${name}, ${process.platform} ${release()}`
  } catch {}
  const cpu = cpus()
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${os} ${arch()}`
}

/** A scratch AUTHKEEP_HOME with one OAuth profile, a fresh 24-hour token and a stored API key. */
function setUp(home) {
  const env = { PATH: process.env.PATH, HOME: home, AUTHKEEP_HOME: home, LANG: 'C.UTF-8' }
  const token = 'bench-access-token-0123456789abcdef'
  const now = new Date()
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({
      version: 1,
      profiles: {
        bench: { token_endpoint: 'https://auth.invalid/token', client_id: 'bench', store: 'file' },
      },
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
  // The key arrives on stdin, as a person would pipe it; never on the command line.
  const key = spawnSync(process.execPath, [BIN, 'key', 'set', '--profile', 'bench', '--store', 'file'], {
    env,
    input: 'sk-bench-0123456789abcdef0123456789\n',
    encoding: 'utf8',
  })
  if (key.status !== 0) throw new Error(`authkeep key set failed (${key.status}): ${key.stderr}`)
  return { env, token }
}

function once([cmd, args], env) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return { ms, stdout: r.stdout }
}

/** The start-up figure means little if the hot path quietly hands over to the full CLI: check it serves. */
function fastPathServes(env, token) {
  const program = `
    const { readFileSync } = require('node:fs')
    const { Script } = require('node:vm')
    const file = process.argv[1]
    const m = { exports: {} }
    new Script(readFileSync(file, 'utf8'), { filename: file }).runInThisContext()(m.exports, require, m)
    m.exports.freshToken(['token', '--profile', 'bench'], process.env).then((t) => process.stdout.write(String(t)))`
  const r = spawnSync(process.execPath, ['-e', program, resolve(HERE, '../dist/fast-token.js')], {
    env,
    encoding: 'utf8',
  })
  if (r.stdout !== token) throw new Error(`the fast path did not serve the token: ${r.stdout} ${r.stderr}`)
}

function startUp() {
  const home = mkdtempSync(join(tmpdir(), 'authkeep-bench-'))
  try {
    const { env, token } = setUp(home)
    const cases = {
      node: [process.execPath, ['-e', '0']],
      token: [process.execPath, [BIN, 'token', '--profile', 'bench']],
      // The CommonJS entry skips Node's ESM loader: shown while package.json's bin is the .mjs one.
      ...(BIN === CJS_BIN ? {} : { tokenCjs: [process.execPath, [CJS_BIN, 'token', '--profile', 'bench']] }),
      tokenExe: [EXE, ['token', '--profile', 'bench']],
      status: [process.execPath, [BIN, 'status']],
      true: [TRUE, []],
      exec: [process.execPath, [BIN, 'exec', '--profile', 'bench', '--', TRUE]],
    }
    for (const c of [cases.token, cases.tokenExe])
      if (once(c, env).stdout !== `${token}\n`) throw new Error(`${c[0]} token printed something else`)
    fastPathServes(env, token)
    const names = Object.keys(cases)
    const times = Object.fromEntries(names.map((k) => [k, []]))
    for (let i = 0; i < WARMUP + RUNS; i++) {
      // Each round starts at another case, so none always runs right after the same neighbour.
      for (let j = 0; j < names.length; j++) {
        const name = names[(i + j) % names.length]
        const { ms } = once(cases[name], env)
        if (i >= WARMUP) times[name].push(ms)
      }
    }
    return Object.fromEntries(names.map((k) => [k, median(times[k])]))
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

function child(args, env) {
  const r = spawnSync(process.execPath, args, {
    cwd: resolve(HERE, '..'),
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1))
}

const ms = (x) => `${x.toFixed(1)} ms`
const ratio = (a, b) => `${(a / b).toFixed(2)}x`

const s = startUp()
const stampede = child(['--import', 'tsx', join(HERE, 'stampede.ts')], {
  BENCH_STAMPEDE_ROUNDS: String(STAMPEDE_ROUNDS),
})
const keepalive = child([join(HERE, 'keepalive.mjs'), '--json'], {})
const fleet = child(['--import', 'tsx', join(HERE, 'fleet.mjs')], { BENCH_RUNS: String(RUNS) })

const rows = [
  ['`authkeep token` (fresh cached token) vs `node -e 0`', ms(s.token), ms(s.node), ratio(s.token, s.node)],
  ...(s.tokenCjs === undefined
    ? []
    : [['same, run as `bin/authkeep.cjs`', ms(s.tokenCjs), ms(s.node), ratio(s.tokenCjs, s.node)]]),
  [
    '`token` from the single executable ÷ `token` from the npm install (goal ≤ 1.2)',
    ms(s.tokenExe),
    ms(s.token),
    ratio(s.tokenExe, s.token),
  ],
  ['`authkeep status` vs `node -e 0`', ms(s.status), ms(s.node), ratio(s.status, s.node)],
  ['`authkeep exec -- true` (stored key) vs `true`', ms(s.exec), ms(s.true), ratio(s.exec, s.true)],
  [
    `${stampede.processes} concurrent \`authkeep token\` at expiry vs one \`authkeep refresh --force\``,
    ms(stampede.burstMs),
    ms(stampede.singleMs),
    ratio(stampede.burstMs, stampede.singleMs),
  ],
  [
    `${stampede.processes} \`authkeep token\` at expiry ÷ ${stampede.processes} \`authkeep token\` on a fresh token (goal ≤ 1.3)`,
    ms(stampede.burstMs),
    ms(stampede.freshBurstMs),
    ratio(stampede.burstMs, stampede.freshBurstMs),
  ],
  [
    `refreshes seen by the server per burst of ${stampede.processes} (expect 1)`,
    stampede.refreshes.join(', '),
    '',
    '',
  ],
  [
    'failed `token` processes (exit ≠ 0 or another token)',
    `${stampede.failures} of ${stampede.processes * stampede.rounds}`,
    '',
    '',
  ],
  [
    `keep-alive daemon idle RSS, ${keepalive.profiles} profiles`,
    `${keepalive.rssMiB.toFixed(1)} MiB`,
    '',
    '',
  ],
  [
    'keep-alive process wake-ups per hour (voluntary context switches)',
    String(keepalive.wakeupsPerHour),
    '',
    '',
  ],
  ['keep-alive timer cycles per hour, idle window (its log)', String(keepalive.timerCyclesPerHour), '', ''],
  [
    `fleet: refreshes per profile in one cycle, ${fleet.profiles} profiles, ${fleet.refreshers} refreshers, 3-member etcd (expect 1)`,
    `${fleet.exact} of ${fleet.profiles} exactly 1 (max ${fleet.maxPerProfile})`,
    '',
    '',
  ],
  [
    `fleet: profiles/s, first to last refresh, vs the token endpoint driven directly (${fleet.refreshers}×${fleet.concurrency} in flight)`,
    `${fleet.steadyPerSecond.toFixed(0)}/s`,
    `${fleet.directPerSecond.toFixed(0)}/s`,
    ratio(fleet.steadyPerSecond, fleet.directPerSecond),
  ],
  [
    `fleet: the same with the provider ${fleet.latency.ms} ms away (its answers delayed so; ${fleet.latency.exact} of ${fleet.profiles} exactly 1)`,
    `${fleet.latency.steadyPerSecond.toFixed(0)}/s`,
    `${fleet.latency.directPerSecond.toFixed(0)}/s`,
    ratio(fleet.latency.steadyPerSecond, fleet.latency.directPerSecond),
  ],
  [
    'fleet: CPU per profile refreshed: 3 refreshers (start-up included) / 3 etcd members / token endpoint',
    `${fleet.cpuPerProfileMs.refreshers.toFixed(1)} / ${fleet.cpuPerProfileMs.etcd.toFixed(1)} / ${fleet.cpuPerProfileMs.server.toFixed(1)} ms`,
    '',
    '',
  ],
  [
    "fleet: whole cycle from the refreshers' start",
    ms(fleet.cycleMs),
    '',
    `${fleet.profilesPerSecond.toFixed(0)}/s`,
  ],
  [
    `fleet: takeover after a refresher is killed (lease ${fleet.lease} s + grace ${fleet.grace} s + scan)`,
    ms(fleet.takeoverMs),
    '',
    '',
  ],
  [
    'fleet host `token` (fresh cached token) vs local `token`',
    ms(fleet.hostTokenMs),
    ms(fleet.localTokenMs),
    ratio(fleet.hostTokenMs, fleet.localTokenMs),
  ],
  [
    'keep-alive timer wake-ups per hour, next 8 h (its state file)',
    keepalive.scheduledPerHour.toFixed(2),
    '',
    '',
  ],
]

console.log(`authkeep benchmarks on ${machine()}; authkeep is ${relative(resolve(HERE, '..'), BIN)}`)
console.log(
  `start-up: medians of ${RUNS} alternating rounds; stampede: medians of ${stampede.rounds} rounds; ` +
    `keep-alive: ${keepalive.idleSeconds} s idle after ${keepalive.settleSeconds} s settling`,
)
console.log('')
console.log('| benchmark | authkeep | baseline | ratio |')
console.log('| --- | --- | --- | --- |')
for (const row of rows) console.log(`| ${row.join(' | ')} |`)
