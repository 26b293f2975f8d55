// A full disk and a read-only config directory, on a real small tmpfs: every writing command fails
// with one clear line naming the file and an exit code from the table, and the login stays intact and
// usable once the disk is fixed.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, open, readFile, rm, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import {
  AUTHORIZE_URL,
  addProfile,
  assertNoSecrets,
  CLAUDE_TEST_SCOPES,
  claudeSandbox,
  DEVICE_LINK,
  deviceLogin,
  type Result,
  runCli,
  sandbox,
  spawnCli,
  waitForStderr,
} from './harness.js'

const run = promisify(execFile)
const EXIT_TABLE = new Set([1, 3, 4, 5, 6])

/** Mounts a 256 KiB tmpfs at `dir`; a machine where this is impossible fails the test with the reason. */
async function mountTmpfs(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true })
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', dir])
  } catch (err) {
    throw new Error(
      `cannot mount a tmpfs at ${dir} (${(err as Error).message.trim()}): the disk-fault tests need root (or CAP_SYS_ADMIN) to mount one`,
    )
  }
  return async () => {
    await run('umount', [dir]).catch(() => run('umount', ['-l', dir]))
  }
}

/** Fills the file system holding `dir` to its last byte; returns the filler to delete to free it. */
async function fill(dir: string): Promise<string> {
  const filler = join(dir, 'filler')
  const h = await open(filler, 'a')
  try {
    for (const size of [65_536, 4096, 512, 64, 1]) {
      const chunk = Buffer.alloc(size, 120)
      for (let i = 0; i < 100_000; i++) {
        try {
          await h.write(chunk)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
          break
        }
      }
    }
  } finally {
    await h.close()
  }
  return filler
}

const remount = (dir: string, how: 'ro' | 'rw') => run('mount', ['-o', `remount,${how}`, dir])

/** One line on stderr, naming the file and the cause, ending with the next command, and a code from the table. */
function assertClearFailure(r: Result, cause: 'ENOSPC' | 'EROFS', dir: string, secrets: string[]): void {
  assert.ok(r.code !== null && EXIT_TABLE.has(r.code), `exit code ${r.code} is in the table: ${r.stderr}`)
  const lines = r.stderr.trim().split('\n')
  const last = lines.at(-1) ?? ''
  assert.match(last, new RegExp(cause), r.stderr)
  assert.ok(last.includes(dir), `the error names the file under ${dir}: ${last}`)
  assert.match(last, /; run: \S/, `the error says what to run next: ${last}`)
  assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /, 'no stack, no "unexpected error"')
  assertNoSecrets([r.stdout, r.stderr], secrets)
}

/**
 * The kept login serves a token the server accepts, and still refreshes: a refresh the disk could not
 * have saved never reached the server, so the rotating refresh token on disk was not spent.
 */
async function assertUsable(profile: string[], env: Record<string, string>): Promise<void> {
  const next = await runCli(['token', ...profile], env)
  assert.equal(next.code, 0, next.stderr)
  assert.equal((await server.userinfo(next.stdout.trim())).status, 200, 'the kept login works')
  const forced = await runCli(['refresh', ...profile, '--force'], env)
  assert.equal(forced.code, 0, forced.stderr)
}

let server: AuthServer
before(async () => {
  server = await startAuthServer({
    deviceInterval: 1,
    jsonTokenRequests: true,
    scopes: CLAUDE_TEST_SCOPES,
    ttl: { accessToken: 3600 },
  })
})
after(() => server?.close())

const tokens = (record: Record<string, unknown>) =>
  [record.access_token, record.refresh_token, record.id_token].filter(
    (v): v is string => typeof v === 'string',
  )

for (const fault of ['ENOSPC', 'EROFS'] as const) {
  test(`AUTHKEEP_HOME ${fault === 'ENOSPC' ? 'full' : 'read-only'}: refresh, login and logout fail clearly, the login survives`, async () => {
    const sb = await sandbox()
    const home = sb.env.AUTHKEEP_HOME as string
    const unmount = await mountTmpfs(home)
    try {
      await addProfile(server, sb.env)
      assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u))).code, 0)
      const before = await readFile(sb.recordFile('test'), 'utf8')
      const secrets = tokens(JSON.parse(before))
      const filler = fault === 'ENOSPC' ? await fill(home) : undefined
      if (fault === 'EROFS') await remount(home, 'ro')

      const refreshes = server.counts.refresh_token
      const refreshed = await runCli(['refresh', '--profile', 'test', '--force'], sb.env)
      assertClearFailure(refreshed, fault, home, secrets)
      assert.equal(server.counts.refresh_token, refreshes, 'no refresh is spent that could not be saved')

      const login = spawnCli(['login', '--profile', 'test', '--method', 'device'], sb.env)
      login.stdin?.end()
      const started = await Promise.race([
        waitForStderr(login, DEVICE_LINK).then(([, link]) => link as string),
        login.output.then(() => undefined),
      ])
      if (started) await approveWithHttp(started)
      assertClearFailure(await login.output, fault, home, secrets)

      // The backup logout writes first cannot be written, so nothing is removed.
      assertClearFailure(await runCli(['logout', '--profile', 'test'], sb.env), fault, home, secrets)

      assert.equal(await readFile(sb.recordFile('test'), 'utf8'), before, 'the record is untouched')
      if (filler) await unlink(filler)
      if (fault === 'EROFS') await remount(home, 'rw')
      await assertUsable(['--profile', 'test'], sb.env)
    } finally {
      await remount(home, 'rw').catch(() => {})
      await unmount()
      await sb.cleanup()
    }
  })

  test(`CLAUDE_CONFIG_DIR ${fault === 'ENOSPC' ? 'full' : 'read-only'}: refresh, login and logout fail clearly, Claude's login survives`, async () => {
    const sb = await claudeSandbox(server)
    const unmount = await mountTmpfs(sb.configDir)
    const profile = ['--profile', 'claude-code']
    try {
      const first = spawnCli(['login', ...profile, '--method', 'paste'], sb.env)
      const paste = async (child: typeof first) => {
        const [, url] = await waitForStderr(child, AUTHORIZE_URL)
        const params = new URL((await approveWithHttp(url as string)).redirectedTo as string).searchParams
        child.stdin?.end(`${params.get('code')}#${params.get('state')}\n`)
        return child.output
      }
      assert.equal((await paste(first)).code, 0)
      const before = await readFile(sb.credentials, 'utf8')
      const o = JSON.parse(before).claudeAiOauth
      const secrets = [o.accessToken, o.refreshToken]
      const filler = fault === 'ENOSPC' ? await fill(sb.configDir) : undefined
      if (fault === 'EROFS') await remount(sb.configDir, 'ro')

      assertClearFailure(
        await runCli(['refresh', ...profile, '--force'], sb.env),
        fault,
        sb.configDir,
        secrets,
      )
      assertClearFailure(
        await paste(spawnCli(['login', ...profile, '--method', 'paste'], sb.env)),
        fault,
        sb.configDir,
        secrets,
      )
      assert.equal(await readFile(sb.credentials, 'utf8'), before, "Claude's file is untouched")

      const out = await runCli(['logout', ...profile], sb.env)
      if (fault === 'ENOSPC') {
        // Removing the login needs no space and its backup lives in AUTHKEEP_HOME: logout may succeed,
        // as long as the backup holds what it removed.
        assert.equal(out.code, 0, out.stderr)
        const backup = JSON.parse(
          await readFile(out.stderr.match(/backup kept at (\S+)\.$/m)?.[1] ?? '', 'utf8'),
        )
        assert.equal(backup.content, before, 'the backup holds the login exactly')
        assertNoSecrets([out.stdout, out.stderr], secrets)
      } else {
        assertClearFailure(out, fault, sb.configDir, secrets)
        assert.equal(await readFile(sb.credentials, 'utf8'), before, "Claude's file is untouched")
        await remount(sb.configDir, 'rw')
        await assertUsable(profile, sb.env)
      }
      if (filler) await unlink(filler)
    } finally {
      await remount(sb.configDir, 'rw').catch(() => {})
      await unmount()
      await rm(sb.configDir, { recursive: true, force: true }).catch(() => {})
      await sb.cleanup()
    }
  })
}
