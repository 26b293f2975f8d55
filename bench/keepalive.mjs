// The keep-alive daemon at rest: its resident memory with 50 logged-in profiles, and how often it wakes.
// Wake-ups are measured, not derived from the schedule: the voluntary context switches of all the
// daemon's threads (/proc, Linux) over an idle window, scaled to an hour, next to the timer cycles its
// own log shows in that window, after V8's post-start-up collections have settled (about 10 s here).
// Also the timer wake-ups its own state file schedules for the next 8 hours (a refresh per token per
// 8 h, and an hourly heartbeat when nothing is due sooner). Prints a markdown table, or with --json the
// figures for bench.mjs. BENCH_IDLE_SECONDS sets the window (default 30, 8 with BENCH_QUICK=1),
// BENCH_SETTLE_SECONDS the settling (default 15, 4 with BENCH_QUICK=1).
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const PROFILES = 50
const QUICK = process.env.BENCH_QUICK === '1'
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? (QUICK ? 8 : 30))
const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE_SECONDS ?? (QUICK ? 4 : 15))
const HOUR = 3_600_000
const BIN = resolve(import.meta.dirname, '../bin/authkeep.mjs')

const home = mkdtempSync(join(tmpdir(), 'authkeep-bench-keepalive-'))
const env = { PATH: process.env.PATH, HOME: home, AUTHKEEP_HOME: home, LANG: 'C.UTF-8' }

function setUp() {
  const now = Date.now()
  const profiles = {}
  mkdirSync(join(home, 'state', 'credentials'), { recursive: true, mode: 0o700 })
  for (let i = 0; i < PROFILES; i++) {
    const name = `p${i}`
    // Nothing listens there: an attempt to refresh during the window would show up as an error.
    profiles[name] = { token_endpoint: 'https://auth.invalid/token', client_id: 'bench', store: 'file' }
    // 8-hour tokens, issued at staggered times over the last hour, as on a machine that has run a while.
    const obtained = new Date(now - (i / PROFILES) * 3_600_000)
    writeFileSync(
      join(home, 'state', 'credentials', `${name}.json`),
      JSON.stringify({
        version: 1,
        profile: name,
        state: 'active',
        secrets_in: 'file',
        token_type: 'Bearer',
        access_token: `bench-access-${i}-0123456789abcdef`,
        refresh_token: `bench-refresh-${i}-0123456789abcdef`,
        expires_at: new Date(obtained.getTime() + 8 * 3_600_000).toISOString(),
        obtained_at: obtained.toISOString(),
        updated_at: obtained.toISOString(),
        host: 'bench',
      }),
      { mode: 0o600 },
    )
  }
  writeFileSync(join(home, 'config.json'), JSON.stringify({ version: 1, profiles }), { mode: 0o600 })
}

function field(text, name) {
  const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)
  return m ? Number(m[1]) : 0
}

/** Voluntary context switches summed over every thread: each is the process going to sleep, once woken. */
function switches(pid) {
  let total = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += field(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'), 'voluntary_ctxt_switches')
    } catch {}
  }
  return total
}

/** The wake-ups the daemon's schedule implies: each distinct deadline, plus a heartbeat per idle hour. */
function scheduledPerHour(state, now, hours) {
  const end = now + hours * HOUR
  const deadlines = [
    ...new Set(
      Object.values(state.profiles)
        .map((p) => Date.parse(p.next_refresh_at ?? ''))
        .filter((t) => t >= now && t <= end),
    ),
  ].sort((a, b) => a - b)
  let wakes = 0
  let at = now
  for (const t of [...deadlines, end]) {
    wakes += Math.floor((t - at) / HOUR) + (t < end ? 1 : 0)
    at = t
  }
  return wakes / hours
}

async function waitFor(getText, re, ms) {
  const end = Date.now() + ms
  while (!re.test(getText())) {
    if (Date.now() > end) throw new Error(`no ${re} from the daemon:\n${getText()}`)
    await sleep(50)
  }
}

setUp()
const child = spawn(process.execPath, [BIN, 'keepalive', 'run'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
let stderr = ''
child.stderr.on('data', (d) => {
  stderr += d
})
try {
  await waitFor(() => stderr, / sleep until=/, 20_000)
  await sleep(SETTLE_SECONDS * 1000)
  const rssKiB = field(readFileSync(`/proc/${child.pid}/status`, 'utf8'), 'VmRSS')
  const logBefore = stderr.length
  const before = switches(child.pid)
  await sleep(IDLE_SECONDS * 1000)
  const woke = switches(child.pid) - before
  const cycles = (stderr.slice(logBefore).match(/ sleep until=/g) ?? []).length
  if (/refresh_failed|error/.test(stderr)) throw new Error(`the daemon was not idle:\n${stderr}`)
  const perHour = (n) => Math.round((n * 3600) / IDLE_SECONDS)
  const state = JSON.parse(readFileSync(join(home, 'state', 'keepalive', 'state.json'), 'utf8'))
  const scheduled = scheduledPerHour(state, Date.now(), 8)
  const figures = {
    profiles: PROFILES,
    idleSeconds: IDLE_SECONDS,
    settleSeconds: SETTLE_SECONDS,
    rssMiB: rssKiB / 1024,
    wakeupsPerHour: perHour(woke),
    timerCyclesPerHour: perHour(cycles),
    scheduledPerHour: scheduled,
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(figures))
  else {
    console.log(`| keep-alive daemon, ${PROFILES} profiles, idle ${IDLE_SECONDS} s | value |`)
    console.log('|---|---|')
    console.log(`| resident memory (VmRSS) | ${figures.rssMiB.toFixed(1)} MiB |`)
    console.log(
      `| process wake-ups per hour (voluntary context switches, all threads) | ${figures.wakeupsPerHour} |`,
    )
    console.log(`| timer cycles per hour, idle window (from its log) | ${figures.timerCyclesPerHour} |`)
    console.log(`| timer wake-ups per hour, next 8 h (from its state file) | ${scheduled.toFixed(2)} |`)
  }
} finally {
  child.kill('SIGTERM')
  await new Promise((r) => child.once('close', r))
  rmSync(home, { recursive: true, force: true })
}
