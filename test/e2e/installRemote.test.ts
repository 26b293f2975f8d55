import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { appendFile, chmod, copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { EXE, ensureExe } from '../bed/exe.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { withoutNodeArgv } from '../bed/noNode.js'
import { type Sshd, startSshd } from '../bed/sshd.js'
import {
  AUTHORIZE_URL,
  addProfile,
  deviceLogin,
  runCli,
  type Sandbox,
  sandbox,
  spawnCli,
  waitForStderr,
} from './harness.js'

// `authkeep install --to` over the test bed's real sshd, whose sessions run in a mount namespace
// where Node is hidden: the remote has no node, and afterwards login --for and the agent work there.
let server: AuthServer
let sshd: Sshd
let laptop: Sandbox
let sha: string

const remote = (...p: string[]) => join(sshd.home, ...p)
const REMOTE_HOME = (name: string) => `AUTHKEEP_HOME=${join('$HOME', name)}`

before(async () => {
  ensureExe()
  sha = createHash('sha256')
    .update(await readFile(EXE))
    .digest('hex')
  ;[server, sshd] = await Promise.all([startAuthServer({ deviceInterval: 1 }), startSshd(withoutNodeArgv)])
  laptop = await sandbox({ AUTHKEEP_SSH: `ssh -F ${sshd.sshConfigFile}` })
  await addProfile(server, laptop.env)
  const r = await deviceLogin(laptop.env, (url) => approveWithHttp(url))
  assert.equal(r.code, 0, r.stderr)
})
after(async () => {
  await Promise.all([sshd?.close(), server?.close(), laptop?.cleanup()])
})

/** Nothing named authkeep, and no temp copy, in the remote folder (which may not exist). */
async function assertNothingIn(dir: string): Promise<void> {
  const left = await readdir(dir).catch(() => [] as string[])
  assert.deepEqual(
    left.filter((f) => f.includes('authkeep')),
    [],
    `left in ${dir}`,
  )
}

/** One line on stderr, ending with the next command. */
function assertOneLine(stderr: string, re: RegExp): void {
  const lines = stderr.split('\n').filter((l) => l.startsWith('authkeep: '))
  assert.equal(lines.length, 1, stderr)
  assert.match(lines[0] as string, /; run: \S.*$/)
  assert.match(lines[0] as string, re)
}

describe('install --to a remote without node', () => {
  test('the remote has no node; install copies, verifies and says how to add the folder to PATH', async () => {
    await sshd.setSessionEnv({ PATH: '/usr/bin:/bin' })
    // bash's `command -v` names a file it cannot run; running is what counts.
    const none = await sshd.ssh('node -e 0 2>/dev/null; echo "node=$?"; npm -v 2>/dev/null; echo "npm=$?"')
    assert.match(none.stdout, /^node=12[67]\nnpm=12[67]\n$/, `${none.stdout}${none.stderr}`)

    const r = await runCli(['install', '--to', sshd.alias], laptop.env)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '')
    const installed = remote('.local', 'bin', 'authkeep')
    assert.match(r.stderr, new RegExp(`✓ Installed authkeep \\(linux-x64\\) at ${sshd.alias}:${installed};`))
    assert.match(
      r.stderr,
      /is not on the PATH of ssh commands there; .*export PATH='.*\/\.local\/bin:'"\$PATH"/,
    )
    const st = await stat(installed)
    assert.equal(st.mode & 0o777, 0o755)
    assert.equal(st.uid, sshd.uid)
    assert.equal(
      createHash('sha256')
        .update(await readFile(installed))
        .digest('hex'),
      sha,
    )
    const version = await sshd.ssh('~/.local/bin/authkeep --version')
    assert.equal(version.code, 0, version.stderr)
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/)
    assert.deepEqual(await readdir(remote('.local', 'bin')), ['authkeep'], 'no temp copy left beside it')

    // Run as the executable, it copies itself; with the folder on PATH there is no PATH hint.
    await sshd.setSessionEnv({ PATH: `${remote('bin2')}:/usr/bin:/bin` })
    const self = await spawnCli(['install', '--to', sshd.alias, '--dir', '~/bin2'], laptop.env, 60_000, [EXE])
      .output
    assert.equal(self.code, 0, self.stderr)
    assert.doesNotMatch(self.stderr, /not on the PATH/)
    assert.equal(
      createHash('sha256')
        .update(await readFile(remote('bin2', 'authkeep')))
        .digest('hex'),
      sha,
    )
  })

  test('login --for that remote: its installed authkeep receives the login', async () => {
    await sshd.setSessionEnv({ PATH: '/usr/bin:/bin', AUTHKEEP_HOME: remote('ak') })
    const child = spawnCli(
      ['login', '--for', sshd.alias, '--profile', 'test', '--method', 'paste'],
      laptop.env,
    )
    const [, url] = await waitForStderr(child, AUTHORIZE_URL)
    const { redirectedTo } = await approveWithHttp(url as string)
    child.stdin?.end(`${redirectedTo}\n`)
    const r = await child.output
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /Received a login for profile "test"/)
    const token = await sshd.ssh('~/.local/bin/authkeep token --profile test')
    assert.equal(token.code, 0, token.stderr)
    assert.equal((await server.userinfo(token.stdout.trim())).status, 200)
  })

  test('authkeep ssh with the agent: the executable there gets the laptop’s token', async () => {
    const socket = join(laptop.dir, 'agent', 'agent.sock')
    const agent = spawnCli(['agent', '--profile', 'test', '--socket', socket], laptop.env, 60_000)
    try {
      await waitForStderr(agent, /^export AUTHKEEP_AGENT_SOCK=/m)
      await sshd.setSessionEnv({ PATH: '/usr/bin:/bin' })
      const r = await runCli(
        [
          'ssh',
          '--socket',
          socket,
          ...sshd.sshArgs,
          sshd.target,
          `${REMOTE_HOME('ak')} ~/.local/bin/authkeep token --profile test`,
        ],
        laptop.env,
      )
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout.trim(), (await laptop.readRecord('test')).access_token)
      assert.match(agent.stderrSoFar(), /ok/)
    } finally {
      agent.kill('SIGTERM')
      await agent.output
    }
  })
})

describe('install --to: bad input, each one line with the next command, nothing half-installed', () => {
  test('a target folder the remote user cannot write', async () => {
    await sshd.setSessionEnv({ PATH: '/usr/bin:/bin' })
    const locked = remote('locked')
    await mkdir(locked, { mode: 0o755 })
    const r = await runCli(['install', '--to', sshd.alias, '--dir', locked], laptop.env)
    assert.equal(r.code, 1, r.stderr)
    assertOneLine(
      r.stderr,
      /cannot install into .*locked \(.*locked is not writable\); nothing was installed; run: authkeep install --to/,
    )
    await assertNothingIn(locked)
  })

  test('a copy changed on the way: the remote checksum refuses it and removes it', async () => {
    // An ssh that turns every NUL byte of its stdin into 0x01 on the way.
    const tamper = join(laptop.dir, 'tampering-ssh')
    await writeFile(tamper, `#!/bin/sh\ntr '\\000' '\\001' | ssh -F ${sshd.sshConfigFile} "$@"\n`)
    await chmod(tamper, 0o755)
    const r = await runCli(['install', '--to', sshd.alias, '--dir', '~/tampered'], {
      ...laptop.env,
      AUTHKEEP_SSH: tamper,
    })
    assert.equal(r.code, 1, r.stderr)
    assertOneLine(r.stderr, /not the one sent \(changed on the way\); it was removed, nothing was installed/)
    await assertNothingIn(remote('tampered'))
  })

  test('a local copy that does not match its .sha256 is not sent', async () => {
    const dir = join(laptop.dir, 'tampered-local')
    await mkdir(dir)
    const copy = join(dir, 'authkeep-linux-x64')
    await copyFile(EXE, copy)
    await copyFile(`${EXE}.sha256`, `${copy}.sha256`)
    await appendFile(copy, 'x')
    const r = await runCli(
      ['install', '--to', sshd.alias, '--dir', '~/local-tamper', '--exe', copy],
      laptop.env,
    )
    assert.equal(r.code, 1, r.stderr)
    assertOneLine(r.stderr, /does not match its checksum file .*nothing was copied; run: npm run build:exe/)
    await assertNothingIn(remote('local-tamper'))
  })

  test('a remote of another architecture: refused before anything is copied', async () => {
    // The remote's uname says aarch64 (a stand-in for an arm64 host: this machine runs x64 only).
    const fake = join(sshd.dir, 'fake-arm64')
    await mkdir(fake, { recursive: true })
    await writeFile(join(fake, 'uname'), '#!/bin/sh\necho Linux aarch64\n')
    await chmod(join(fake, 'uname'), 0o755)
    await chmod(fake, 0o755)
    await sshd.setSessionEnv({ PATH: `${fake}:/usr/bin:/bin` })
    const r = await runCli(['install', '--to', sshd.alias, '--dir', '~/arm', '--exe', EXE], laptop.env)
    assert.equal(r.code, 1, r.stderr)
    assertOneLine(
      r.stderr,
      /is built for linux-x64 but .* is linux-arm64; nothing was copied; run: npm run build:exe && authkeep install --to .* --exe dist-exe\/authkeep-linux-arm64/,
    )
    await assertNothingIn(remote('arm'))
  })
})
