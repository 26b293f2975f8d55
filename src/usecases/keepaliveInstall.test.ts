import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { AuthkeepError } from '../errors.js'
import type { ServicePort } from '../keepalive/servicePort.js'
import { resolvePaths } from '../profiles/paths.js'
import { installKeepAlive, uninstallKeepAlive, unitFile } from './keepaliveInstall.js'
import { testDeps } from './testDeps.js'

async function fixture() {
  const home = await mkdtemp(join(tmpdir(), 'authkeep-install-'))
  const processEnv = { HOME: home, USER: 'u', AUTHKEEP_HOME: join(home, 'ak') }
  const deps = testDeps({
    processEnv,
    home,
    paths: resolvePaths(processEnv, home),
    self: ['/usr/bin/node', '/opt/authkeep.mjs'],
  })
  return { home, deps, cleanup: () => rm(home, { recursive: true, force: true }) }
}

function fakePort(opts: { systemd: boolean; crontab?: string; linger?: boolean }) {
  const calls: string[] = []
  const port: ServicePort & { crontab: string | undefined; calls: string[] } = {
    crontab: opts.crontab,
    calls,
    systemdUsable: async () => opts.systemd,
    systemctl: async (args) => {
      calls.push(args.join(' '))
      return { code: 0, stdout: '', stderr: '' }
    },
    lingering: async () => opts.linger,
    readCrontab: async () => port.crontab,
    writeCrontab: async (text) => {
      port.crontab = text
    },
    stopDaemon: (pid) => {
      calls.push(`stop ${pid}`)
    },
  }
  return port
}

test('with systemd: the unit is written 0600, reloaded, enabled, (re)started; the linger hint when it is off', async () => {
  const f = await fixture()
  try {
    const port = fakePort({ systemd: true, linger: false, crontab: 'x # authkeep-keepalive\n' })
    const r = await installKeepAlive(f.deps, port, {
      notifyCommand: 'notify-send "$AUTHKEEP_REASON"',
      warnDays: 5,
    })
    assert.equal(r.method, 'systemd')
    assert.equal(r.written, join(f.home, '.config/systemd/user/authkeep-keepalive.service'))
    const unit = await readFile(r.written, 'utf8')
    assert.match(unit, /"--warn-days" "5"/)
    assert.match(unit, /Environment="AUTHKEEP_HOME=/)
    assert.equal((await stat(r.written)).mode & 0o777, 0o600)
    assert.deepEqual(port.calls, [
      'daemon-reload',
      'enable authkeep-keepalive.service',
      'restart authkeep-keepalive.service',
    ])
    assert.ok(r.notes.some((n) => n.includes('loginctl enable-linger u')))
    assert.equal(port.crontab, '', 'an earlier cron fallback is removed')

    const notes = await uninstallKeepAlive(f.deps, port)
    assert.ok(port.calls.includes('disable --now authkeep-keepalive.service'))
    await assert.rejects(stat(unitFile(f.deps)), { code: 'ENOENT' })
    assert.match(notes.join('\n'), /removed/)
  } finally {
    await f.cleanup()
  }
})

test('no linger hint when lingering is on or unknown', async () => {
  const f = await fixture()
  try {
    for (const linger of [true, undefined]) {
      const r = await installKeepAlive(f.deps, fakePort({ systemd: true, linger }), {
        notifyCommand: undefined,
        warnDays: undefined,
      })
      assert.ok(!r.notes.some((n) => n.includes('enable-linger')))
    }
  } finally {
    await f.cleanup()
  }
})

test('without systemd: crontab lines, kept idempotent; without crontab either: a clear error', async () => {
  const f = await fixture()
  try {
    const port = fakePort({ systemd: false, crontab: '' })
    const r = await installKeepAlive(f.deps, port, { notifyCommand: undefined, warnDays: undefined })
    assert.equal(r.method, 'cron')
    assert.equal(port.crontab?.split('\n').filter((l) => l.endsWith('# authkeep-keepalive')).length, 2)
    const before = port.crontab
    const again = await installKeepAlive(f.deps, port, { notifyCommand: undefined, warnDays: undefined })
    assert.equal(port.crontab, before)
    assert.match(again.notes[0] as string, /nothing changed/)
    await uninstallKeepAlive(f.deps, port)
    assert.equal(port.crontab, '')
    assert.deepEqual(port.calls, [], 'systemctl never called')

    await assert.rejects(
      installKeepAlive(f.deps, fakePort({ systemd: false }), {
        notifyCommand: undefined,
        warnDays: undefined,
      }),
      (err: unknown) =>
        err instanceof AuthkeepError && /neither a systemd user manager nor crontab/.test(err.message),
    )
  } finally {
    await f.cleanup()
  }
})
