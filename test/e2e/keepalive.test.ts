import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmod, mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import {
  addProfile,
  assertNoSecrets,
  BIN,
  type Cli,
  deviceLogin,
  runCli,
  type Sandbox,
  sandbox,
  secretsOf,
  spawnCli,
} from './harness.js'

let server: AuthServer
before(async () => {
  // 2-second access tokens: the daemon refreshes about every 1.3 s, so five cycles take seconds.
  server = await startAuthServer({ deviceInterval: 1, ttl: { accessToken: 2 } })
})
after(() => server?.close())

async function login(sb: Sandbox, name: string): Promise<void> {
  await addProfile(server, sb.env, name)
  const r = await deviceLogin(sb.env, (u) => approveWithHttp(u), name)
  assert.equal(r.code, 0, r.stderr)
}

/** Waits (bounded) until `re` has matched `n` lines of the daemon's stderr; returns those lines. */
async function lines(child: Cli, re: RegExp, n: number, timeoutMs = 20_000): Promise<string[]> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const found = child
      .stderrSoFar()
      .split('\n')
      .filter((l) => re.test(l))
    if (found.length >= n) return found
    if (child.exitCode !== null || Date.now() > end) {
      throw new Error(`${n}× ${re} not seen (${found.length}); stderr:\n${child.stderrSoFar()}`)
    }
    await sleep(50)
  }
}

async function stop(child: Cli): Promise<string> {
  child.kill('SIGTERM')
  const r = await child.output
  assert.equal(r.code, 0, `SIGTERM ends the daemon cleanly:\n${r.stderr}`)
  assert.match(r.stderr, / stop\n$/)
  return r.stderr
}

async function keepaliveState(sb: Sandbox) {
  const r = await runCli(['keepalive', 'status', '--json'], sb.env)
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout)
}

const field = (line: string, key: string) => new RegExp(`\\b${key}=(\\S+)`).exec(line)?.[1]

test('keeps a profile valid over many expiry cycles with no client activity; SIGHUP picks up a new login', async () => {
  const sb = await sandbox()
  const secrets = new Set<string>()
  const collect = async (p: string) => {
    for (const s of await secretsOf(sb, p)) secrets.add(s)
  }
  try {
    await login(sb, 'a')
    await collect('a')
    server.resetCounts()
    const daemon = spawnCli(['keepalive', 'run'], sb.env)
    try {
      await lines(daemon, / refreshed profile=a /, 2)
      await collect('a')
      // A login made while the daemon runs: SIGHUP makes it re-read the config and records at once.
      await login(sb, 'b')
      daemon.kill('SIGHUP')
      await lines(daemon, / reload$/, 1)
      await lines(daemon, / refreshed profile=b /, 2)
      await lines(daemon, / refreshed profile=a /, 6)
      await collect('a')
      await collect('b')
      const record = await sb.readRecord('a')
      assert.equal((await server.userinfo(record.access_token as string)).status, 200)
    } finally {
      const stderr = await stop(daemon)
      assert.ok(server.counts.refresh_token >= 8, `refreshes at the server: ${server.counts.refresh_token}`)
      assert.deepEqual(server.failures, {})
      assertNoSecrets([stderr], [...secrets])
      // Log lines, and the one notice a stop that lands mid-refresh prints before it waits for the write.
      for (const l of stderr.trim().split('\n'))
        assert.match(
          l,
          /^(\d{4}-\d\d-\d\dT[\d:.]+Z \w+|authkeep: SIGTERM: saving the token refresh in flight first)/,
        )
    }
    const state = await keepaliveState(sb)
    assert.equal(state.daemon.running, false)
    assert.notEqual(state.daemon.stopped_at, null)
    const a = state.profiles.find((p: { profile: string }) => p.profile === 'a')
    assert.equal(a.state, 'ok')
    assert.equal(a.consecutive_failures, 0)
    assert.notEqual(a.last_refresh_at, null)
    assert.notEqual(a.next_refresh_at, null)
    assert.deepEqual(a.warnings, [])
    const mode = (await stat(join(sb.env.AUTHKEEP_HOME as string, 'state/keepalive/state.json'))).mode
    assert.equal(mode & 0o777, 0o600)
    assertNoSecrets([JSON.stringify(state)], [...secrets])
  } finally {
    await sb.cleanup()
  }
})

test('transient failures: exponential backoff honouring Retry-After and the cap, a warning, then recovery', async () => {
  const sb = await sandbox()
  const notes = join(sb.dir, 'notify.log')
  try {
    await login(sb, 'f')
    // One daemon attempt spends three requests (the refresh protocol's own retries); each phase fails one.
    server.injectFault({ fault: { kind: 'status', status: 503, retryAfter: 1 }, times: 3 })
    const daemon = spawnCli(
      [
        'keepalive',
        'run',
        '--backoff-min',
        '1',
        '--backoff-max',
        '3',
        '--notify-command',
        `{ env | grep ^AUTHKEEP_; echo ---; } >> '${notes}'`,
      ],
      sb.env,
    )
    let failed: string[]
    try {
      await lines(daemon, / refresh_failed profile=f attempt=1 /, 1)
      server.injectFault({ fault: { kind: 'reset' }, times: 3 })
      await lines(daemon, / refresh_failed profile=f attempt=2 /, 1)
      server.injectFault({ fault: { kind: 'status', status: 429, retryAfter: 1 }, times: 3 })
      failed = await lines(daemon, / refresh_failed profile=f /, 3)
      await lines(daemon, / notified profile=f reason=refresh_failing exit=0$/, 1)
      await lines(daemon, / recovered profile=f$/, 1)
      await lines(daemon, / refreshed profile=f /, 2)
      const record = await sb.readRecord('f')
      assert.equal((await server.userinfo(record.access_token as string)).status, 200)
    } finally {
      server.injectFault(null)
      const stderr = await stop(daemon)
      assertNoSecrets([stderr], await secretsOf(sb, 'f'))
    }
    const delays = failed.map((l) => Number(field(l, 'retry_in')?.replace(/s$/, '')))
    assert.equal(field(failed[0] as string, 'retry_after'), '1', 'the 503 said Retry-After: 1')
    assert.ok((delays[0] as number) >= 1, `Retry-After honoured: ${delays}`)
    assert.ok((delays[1] as number) > (delays[0] as number), `backoff grows: ${delays}`)
    assert.ok((delays[2] as number) >= (delays[1] as number), `backoff grows: ${delays}`)
    assert.equal(delays[2], 3, `capped at --backoff-max: ${delays}`)
    assert.match(failed[0] as string, /HTTP 503/)
    assert.match(failed[2] as string, /HTTP 429/)

    const blocks = (await readFile(notes, 'utf8')).split('---\n').filter((b) => b.trim())
    assert.equal(blocks.length, 1, 'notified once')
    assert.match(blocks[0] as string, /AUTHKEEP_PROFILE=f\n/)
    assert.match(blocks[0] as string, /AUTHKEEP_REASON=refresh_failing\n/)
    const f = (await keepaliveState(sb)).profiles[0]
    assert.equal(f.consecutive_failures, 0)
    assert.deepEqual(f.warnings, [], 'the warning ends with the recovery')
    assert.match(f.last_error, /HTTP 429/)
  } finally {
    await sb.cleanup()
  }
})

test('a revoked grant: that profile stops, a warning, the notify command runs exactly once; others go on', async () => {
  const sb = await sandbox()
  const notes = join(sb.dir, 'notify.log')
  const notify = `{ env | grep ^AUTHKEEP_; echo ---; } >> '${notes}'`
  try {
    await login(sb, 'gone')
    await login(sb, 'ok')
    const revoked = await sb.readRecord('gone')
    await server.revokeGrantOf(revoked.refresh_token as string)
    server.resetCounts()
    const daemon = spawnCli(['keepalive', 'run', '--notify-command', notify], sb.env)
    try {
      await lines(daemon, / notified profile=gone reason=login_required exit=0$/, 1)
      // More cycles, a re-read, and a restart must not try the dead grant again or notify again.
      const seen = (await lines(daemon, / refreshed profile=ok /, 1)).length
      daemon.kill('SIGHUP')
      await lines(daemon, / refreshed profile=ok /, seen + 2)
    } finally {
      const stderr = await stop(daemon)
      assertNoSecrets([stderr], [...(await secretsOf(sb, 'gone')), ...(await secretsOf(sb, 'ok'))])
      assert.equal(stderr.match(/ warning profile=gone reason=login_required /g)?.length, 1, stderr)
    }
    const once = await runCli(['keepalive', 'run', '--once', '--notify-command', notify], sb.env)
    assert.equal(once.code, 4, once.stderr)
    assert.equal(server.failures.invalid_grant, 1, 'the revoked grant was tried once, then never again')

    const text = await readFile(notes, 'utf8')
    const blocks = text.split('---\n').filter((b) => b.trim())
    assert.equal(blocks.length, 1, `notified exactly once:\n${text}`)
    assert.match(blocks[0] as string, /^AUTHKEEP_PROFILE=gone$/m)
    assert.match(blocks[0] as string, /^AUTHKEEP_REASON=login_required$/m)
    assert.match(blocks[0] as string, /^AUTHKEEP_DETAIL=.*invalid_grant/m)
    assertNoSecrets([text], [revoked.access_token, revoked.refresh_token] as string[])

    const state = await keepaliveState(sb)
    const gone = state.profiles.find((p: { profile: string }) => p.profile === 'gone')
    assert.equal(gone.state, 'login_required')
    assert.equal(gone.next_refresh_at, null)
    assert.equal(gone.warnings.length, 1)
    assert.equal(gone.warnings[0].notify_exit, 0)
    assert.equal(state.profiles.find((p: { profile: string }) => p.profile === 'ok').state, 'ok')
    // `status` shows what the daemon raised, per profile.
    const status = JSON.parse((await runCli(['status', '--json'], sb.env)).stdout).profiles
    const goneStatus = status.find((p: { profile: string }) => p.profile === 'gone')
    assert.deepEqual(
      goneStatus.keepalive_warnings.map((w: { reason: string }) => w.reason),
      ['login_required'],
    )
    assert.match((await runCli(['status'], sb.env)).stdout, /! keep-alive: .*invalid_grant/)
    const human = await runCli(['keepalive', 'status'], sb.env)
    assert.match(human.stdout, /WARNING login_required: .*invalid_grant.*; notified, exit 0/)
  } finally {
    await sb.cleanup()
  }
})

/** Fake systemctl/loginctl/crontab first on PATH: they log their calls and keep the crontab in a file. */
async function fakeServiceTools(sb: Sandbox, systemd: boolean): Promise<{ calls: string; crontab: string }> {
  const bin = join(sb.dir, 'fakebin')
  const calls = join(sb.dir, 'calls.log')
  const crontab = join(sb.dir, 'crontab.txt')
  await mkdir(bin, { recursive: true })
  const tools: Record<string, string> = {
    systemctl: systemd
      ? `echo "systemctl $*" >> '${calls}'`
      : `echo "systemctl $*" >> '${calls}'; echo 'Failed to connect to bus: No medium found' >&2; exit 1`,
    loginctl: `echo "loginctl $*" >> '${calls}'; echo no`,
    crontab: `echo "crontab $*" >> '${calls}'
case "$1" in
  -l) [ -f '${crontab}' ] && exec cat '${crontab}'; echo "no crontab for $USER" >&2; exit 1 ;;
  -) cat > '${crontab}' ;;
  *) exit 2 ;;
esac`,
  }
  for (const [name, body] of Object.entries(tools)) {
    await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`)
    await chmod(join(bin, name), 0o755)
  }
  sb.env.PATH = `${bin}:${sb.env.PATH}`
  sb.env.USER = 'tester'
  return { calls, crontab }
}

function systemdAnalyze(): string {
  const found = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' })
  if (found.status === 0) return found.stdout.trim()
  if (process.getuid?.() !== 0)
    throw new Error('systemd-analyze is missing; run: sudo apt-get install -y systemd')
  execFileSync('apt-get', ['install', '-y', '-qq', 'systemd'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  return 'systemd-analyze'
}

test('install: a systemd user unit that systemd-analyze verify accepts, enabled, with the linger hint; uninstall', async (t) => {
  const analyze = systemdAnalyze()
  const sb = await sandbox(t)
  const { calls } = await fakeServiceTools(sb, true)
  const r = await runCli(
    ['keepalive', 'install', '--notify-command', 'echo "100% $AUTHKEEP_PROFILE"'],
    sb.env,
  )
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /run: loginctl enable-linger tester/)
  const unit = join(sb.env.HOME as string, '.config/systemd/user/authkeep-keepalive.service')
  const text = await readFile(unit, 'utf8')
  assert.equal((await stat(unit)).mode & 0o777, 0o600)
  assert.ok(text.includes(`ExecStart="${process.execPath}" "${await realpath(BIN)}" "keepalive" "run"`), text)
  assert.ok(text.includes('"--notify-command" "echo \\"100%% $$AUTHKEEP_PROFILE\\""'), text)
  assert.ok(text.includes(`Environment="AUTHKEEP_HOME=${sb.env.AUTHKEEP_HOME}"`), text)
  assert.match(text, /^Restart=on-failure$/m)

  const runtime = join(sb.dir, 'runtime')
  await mkdir(runtime, { mode: 0o700 })
  const verify = spawnSync(analyze, ['--user', 'verify', unit], {
    env: { ...sb.env, XDG_RUNTIME_DIR: runtime },
    encoding: 'utf8',
  })
  assert.equal(verify.status, 0, verify.stderr)
  assert.equal(verify.stderr.trim(), '', 'no warnings')

  const log = await readFile(calls, 'utf8')
  assert.match(log, /^systemctl --user daemon-reload$/m)
  assert.match(log, /^systemctl --user enable authkeep-keepalive.service$/m)
  assert.match(log, /^systemctl --user restart authkeep-keepalive.service$/m)

  const u = await runCli(['keepalive', 'uninstall'], sb.env)
  assert.equal(u.code, 0, u.stderr)
  assert.match(await readFile(calls, 'utf8'), /^systemctl --user disable --now authkeep-keepalive.service$/m)
  await assert.rejects(stat(unit), { code: 'ENOENT' })
})

test('install without systemd: two marked crontab lines, the rest kept, idempotent, runnable; uninstall restores', async (t) => {
  const sb = await sandbox(t)
  const { crontab } = await fakeServiceTools(sb, false)
  const original = 'MAILTO=ops@example.com\n0 3 * * * /usr/local/bin/backup\n'
  await writeFile(crontab, original)
  const r = await runCli(['keepalive', 'install', '--notify-command', "echo 'at 50%'"], sb.env)
  assert.equal(r.code, 0, r.stderr)
  const installed = await readFile(crontab, 'utf8')
  assert.ok(installed.startsWith(original), installed)
  const ours = installed.slice(original.length).trim().split('\n')
  assert.equal(ours.length, 2)
  assert.match(ours[0] as string, /^@reboot .* keepalive run .*# authkeep-keepalive$/)
  assert.match(ours[1] as string, /^\*\/15 \* \* \* \* .* keepalive run .* --once .*# authkeep-keepalive$/)
  assert.ok(installed.includes("'echo '\\''at 50\\%'\\'''"), 'quoted for sh, % escaped for cron')

  const again = await runCli(['keepalive', 'install', '--notify-command', "echo 'at 50%'"], sb.env)
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stderr, /nothing changed/)
  assert.equal(await readFile(crontab, 'utf8'), installed)

  // What cron would run: the command part, with cron's % escapes undone, through /bin/sh.
  const command = (ours[1] as string).replace(/^(\S+ ){5}/, '').replace(/\\%/g, '%')
  const pass = spawnSync('/bin/sh', ['-c', command], { env: sb.env, encoding: 'utf8', timeout: 30_000 })
  assert.equal(pass.status, 0, pass.stderr)
  const cronLog = await readFile(join(sb.env.AUTHKEEP_HOME as string, 'state/keepalive/cron.log'), 'utf8')
  assert.match(cronLog, / done\n$/)

  const u = await runCli(['keepalive', 'uninstall'], sb.env)
  assert.equal(u.code, 0, u.stderr)
  assert.equal(await readFile(crontab, 'utf8'), original)
})
