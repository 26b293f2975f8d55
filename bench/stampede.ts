// 64 `authkeep token` processes started at once on an expired token, against the real local
// authorization server: how many refreshes reach it (the protocol promises one), how many processes
// fail, and the burst's wall time next to that of one `authkeep refresh --force` alone and next to the
// same 64 processes on a fresh token (what the stampede costs beyond start-up), measured alternately. Run with `node --import tsx bench/stampede.ts`; prints JSON for bench.mjs
// (BENCH_STAMPEDE_ROUNDS rounds, default 5).
import { setTimeout as sleep } from 'node:timers/promises'
import { startAuthServer } from '../test/bed/authServer.js'
import { approveWithHttp } from '../test/bed/httpApprover.js'
import { addProfile, deviceLogin, runCli, sandbox } from '../test/e2e/harness.js'

const PROCESSES = 64
const ROUNDS = Number(process.env.BENCH_STAMPEDE_ROUNDS ?? 5)
// Access tokens live 10 s, so they are due (three quarters of their life) 7.5 s after each refresh:
// time enough for the burst on the fresh token to finish before it is due, even on a loaded machine.
const TTL_SECONDS = 10

const burstOf = (env: Record<string, string>) =>
  Promise.all(Array.from({ length: PROCESSES }, () => runCli(['token', '--profile', 'test'], env)))

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint()
  const value = await work()
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value }
}

const server = await startAuthServer({ deviceInterval: 1, ttl: { accessToken: TTL_SECONDS } })
const sb = await sandbox()
try {
  await addProfile(server, sb.env)
  const login = await deviceLogin(sb.env, (u) => approveWithHttp(u))
  if (login.code !== 0) throw new Error(`device login failed (${login.code}): ${login.stderr}`)

  const single: number[] = []
  const burst: number[] = []
  const freshBurst: number[] = []
  const freshRefreshes: number[] = []
  const refreshes: number[] = []
  let failures = 0
  for (let round = 0; round < ROUNDS; round++) {
    const one = await timed(() => runCli(['refresh', '--profile', 'test', '--force'], sb.env))
    if (one.value.code !== 0)
      throw new Error(`refresh --force failed (${one.value.code}): ${one.value.stderr}`)
    single.push(one.ms)
    const refreshedAt = Date.now()
    server.resetCounts()
    const fresh = await timed(() => burstOf(sb.env))
    freshBurst.push(fresh.ms)
    freshRefreshes.push(server.counts.refresh_token)
    if (fresh.value.some((r) => r.code !== 0)) throw new Error('a `token` on a fresh token failed')
    await sleep(Math.max(0, refreshedAt + TTL_SECONDS * 1000 + 200 - Date.now()))
    server.resetCounts()
    const all = await timed(() => burstOf(sb.env))
    burst.push(all.ms)
    refreshes.push(server.counts.refresh_token)
    // A failure is a process that did not exit 0 or printed another token than its peers.
    const printed = new Map<string, number>()
    for (const r of all.value) if (r.code === 0) printed.set(r.stdout, (printed.get(r.stdout) ?? 0) + 1)
    const agreed = Math.max(0, ...printed.values())
    failures += PROCESSES - agreed
    // The figure says how many; the first one's words say why.
    const failed = all.value.find((r) => r.code !== 0)
    if (failed) console.error(`round ${round}: a \`token\` exited ${failed.code}: ${failed.stderr.trim()}`)
  }
  console.log(
    JSON.stringify({
      processes: PROCESSES,
      rounds: ROUNDS,
      refreshes,
      failures,
      burstMs: median(burst),
      singleMs: median(single),
      freshBurstMs: median(freshBurst),
      // Refreshes during the bursts on a fresh token: 0 unless the machine was too slow for the window.
      freshRefreshes,
    }),
  )
} finally {
  await sb.cleanup()
  await server.close()
}
