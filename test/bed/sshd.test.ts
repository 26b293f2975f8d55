import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { test } from 'node:test'
import { startSshd } from './sshd.js'

/** Running, as opposed to ended (a zombie waiting for init to reap it counts as ended). */
function alive(pid: number): boolean {
  const r = spawnSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' })
  return (
    r.status === 0 && r.stdout.slice(r.stdout.lastIndexOf(')') + 2, r.stdout.lastIndexOf(')') + 3) !== 'Z'
  )
}

function listenerUp(port: number): boolean {
  const r = spawnSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' })
  if (r.error) {
    // iproute2's ss missing: fall back to /proc/net/tcp (port in hex, state 0A = LISTEN)
    const hex = port.toString(16).toUpperCase().padStart(4, '0')
    const tcp = spawnSync('cat', ['/proc/net/tcp'], { encoding: 'utf8' }).stdout
    return tcp.split('\n').some((l) => l.includes(`:${hex} `) && / 0A /.test(l))
  }
  return r.stdout.trim().length > 0
}

test('sshd bed: a command runs as the test user, by args and by config alias; close leaves nothing', {
  timeout: 60_000,
}, async () => {
  const started = Date.now()
  const s = await startSshd()
  const startMs = Date.now() - started
  let pid = 0
  let bgPid = 0
  try {
    pid = Number((await readFile(`${s.dir}/sshd.pid`, 'utf8')).trim())
    assert.ok(pid > 0)
    assert.equal(s.target, `${s.user}@127.0.0.1`)

    const t0 = Date.now()
    const r = await s.ssh('id -un; echo "$HOME"; umask')
    const sshMs = Date.now() - t0
    assert.equal(r.code, 0, r.stderr)
    const [name, home] = r.stdout.trim().split('\n')
    assert.equal(name, s.user)
    assert.equal(home, s.home)
    assert.equal((await stat(s.home)).uid, s.uid)

    const viaAlias = spawnSync('ssh', ['-F', s.sshConfigFile, s.alias, 'cat'], {
      input: 'through stdin',
      encoding: 'utf8',
      timeout: 20_000,
    })
    assert.equal(viaAlias.status, 0, viaAlias.stderr)
    assert.equal(viaAlias.stdout, 'through stdin')

    // The host key is pinned: a wrong known_hosts entry is refused, not accepted on first use.
    const other = spawnSync(
      'ssh',
      s.sshArgs
        .map((a) => (a.startsWith('UserKnownHostsFile=') ? 'UserKnownHostsFile=/dev/null' : a))
        .concat(s.target, 'true'),
      { encoding: 'utf8', timeout: 20_000 },
    )
    assert.notEqual(other.status, 0)

    await s.setSessionEnv({ AUTHKEEP_BED_MARK: 'set' })
    assert.equal((await s.ssh('echo "$AUTHKEEP_BED_MARK"')).stdout.trim(), 'set')

    // A session left running is ended by close() too.
    const bg = await s.ssh('nohup sleep 300 >/dev/null 2>&1 & echo $!')
    bgPid = Number(bg.stdout.trim())
    assert.ok(bgPid > 0 && alive(bgPid), 'the background session did not start')
    process.stderr.write(`sshd bed: start ${startMs} ms, one ssh command ${sshMs} ms\n`)
  } finally {
    await s.close()
  }
  assert.equal(alive(pid), false, 'sshd still running after close()')
  assert.equal(listenerUp(s.port), false, 'something still listens on the port')
  assert.equal(spawnSync('id', [s.user]).status !== 0, true, 'the test user is still there')
  // By pid, not by uid: another instance (another test file) may get the freed uid at once.
  assert.equal(alive(bgPid), false, 'a session of the test user survived close()')
  assert.equal(existsSync(s.dir), false)
})
