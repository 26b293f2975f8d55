import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { INSTALLER_SCRIPT, InstallerExit } from './remoteInstaller.js'

// The installer script run by a local sh, as the remote's login shell would run it.
const root = mkdtempSync(join(tmpdir(), 'authkeep-installer-'))
after(() => rmSync(root, { recursive: true, force: true }))

const program = '#!/bin/sh\necho 9.9.9\n'
const sum = createHash('sha256').update(program).digest('hex')

/** A PATH holding only the named tools, linked from the system: to take sha256sum away, say. */
function pathWith(tools: string[]): string {
  const dir = mkdtempSync(join(root, 'path-'))
  for (const t of tools) {
    const found = ['/usr/bin', '/bin']
      .map((d) => join(d, t))
      .find((p) => spawnSync('test', ['-x', p]).status === 0)
    if (found) symlinkSync(found, join(dir, t))
  }
  return dir
}
const BASICS = ['mkdir', 'mktemp', 'cat', 'rm', 'chmod', 'mv', 'head', 'printf']

function install(dir: string, input: string, want = sum, PATH = '/usr/bin:/bin') {
  return spawnSync('sh', ['-c', INSTALLER_SCRIPT, 'authkeep-install', dir, 'authkeep', want], {
    input,
    encoding: 'utf8',
    env: { PATH, HOME: root },
  })
}

test('installs under a temp name, verifies, runs it, renames; ~ is the home; says whether the folder is on PATH', () => {
  const r = install('~/bin', program)
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout, `${join(root, 'bin', 'authkeep')}\noff-path\n`)
  assert.deepEqual(readdirSync(join(root, 'bin')), ['authkeep'])
  const on = install(join(root, 'bin'), program, sum, `${join(root, 'bin')}:/usr/bin:/bin`)
  assert.match(on.stdout, /\non-path\n$/)
})

test('a checksum mismatch, a copy that does not run, a folder not writable: exit codes, nothing left', () => {
  const bad = install('~/mismatch', program, '0'.repeat(64))
  assert.equal(bad.status, InstallerExit.checksumMismatch)
  assert.equal(bad.stderr.trim(), sum)
  assert.deepEqual(readdirSync(join(root, 'mismatch')), [])

  const broken = '#!/bin/sh\necho "cannot execute: Exec format error" >&2; exit 126\n'
  const noRun = install('~/norun', broken, createHash('sha256').update(broken).digest('hex'))
  assert.equal(noRun.status, InstallerExit.doesNotRun)
  assert.match(noRun.stderr, /Exec format error/)
  assert.deepEqual(readdirSync(join(root, 'norun')), [])

  const plain = join(root, 'plain')
  mkdirSync(plain)
  writeFileSync(join(plain, 'file'), '')
  const notDir = install(join(plain, 'file'), program)
  assert.equal(notDir.status, InstallerExit.notWritable, notDir.stderr)
  assert.deepEqual(readdirSync(plain), ['file'])
})

test('without sha256sum it checks with shasum, else openssl; with none it refuses', () => {
  const viaShasum = install('~/shasum', program, sum, pathWith([...BASICS, 'shasum', 'perl', 'sh']))
  assert.equal(viaShasum.status, 0, viaShasum.stderr)
  const viaOpenssl = install('~/ossl', program, sum, pathWith([...BASICS, 'openssl', 'sh']))
  assert.equal(viaOpenssl.status, 0, viaOpenssl.stderr)
  const none = install('~/none', program, sum, pathWith([...BASICS, 'sh']))
  assert.equal(none.status, InstallerExit.noChecksumTool, none.stderr)
  assert.deepEqual(readdirSync(join(root, 'none')), [])
})
