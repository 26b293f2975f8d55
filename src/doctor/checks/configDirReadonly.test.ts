import assert from 'node:assert/strict'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { type Access, makeConfigDirReadonly } from './configDirReadonly.js'
import { fixtureContext } from './fixtureContext.js'

// Root is never refused by access(2), so the refusals are acted out.
const refusing =
  (code: string, only?: string): Access =>
  async (path) => {
    if (only === undefined || path === only) throw Object.assign(new Error(code), { code })
  }

async function withConfigDir(fn: (c: Awaited<ReturnType<typeof fixtureContext>>) => Promise<void>) {
  const c = await fixtureContext()
  try {
    await mkdir(c.ctx.configDir as string, { recursive: true })
    await writeFile(c.ctx.credentialFile, '{}', { mode: 0o600 })
    await fn(c)
  } finally {
    await c.cleanup()
  }
}

test('config_dir.readonly: a directory without write permission, owned by us → chmod u+w', () =>
  withConfigDir(async ({ ctx }) => {
    const [f] = await makeConfigDirReadonly(refusing('EACCES')).run(ctx)
    assert.equal(f?.severity, 'error')
    assert.match(f?.found ?? '', /is not writable \(EACCES\)/)
    assert.equal(f?.fix, `chmod u+w ${ctx.configDir}`)
  }))

test('config_dir.readonly: owned by someone else → sudo chown', () =>
  withConfigDir(async ({ ctx }) => {
    const [f] = await makeConfigDirReadonly(refusing('EACCES')).run({ ...ctx, uid: 4242 })
    assert.equal(f?.fix, `sudo chown 4242 ${ctx.configDir}`)
  }))

test('config_dir.readonly: a shared directory (sticky, like /tmp) of another user → a directory of your own, not a chown of theirs', () =>
  withConfigDir(async ({ ctx }) => {
    await chmod(ctx.configDir as string, 0o1777)
    const [f] = await makeConfigDirReadonly(refusing('EACCES')).run({ ...ctx, uid: 4242 })
    assert.equal(f?.fix, 'export CLAUDE_CONFIG_DIR="$HOME/.claude"')
  }))

test('config_dir.readonly: a read-only mount → remount its mount point read-write', () =>
  withConfigDir(async ({ ctx, dir }) => {
    const mountinfo = join(dir, 'mountinfo')
    await writeFile(
      mountinfo,
      [
        '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
        `97 22 0:52 / ${dir} ro,relatime - tmpfs tmpfs ro`,
        '98 22 0:53 / /elsewhere rw - tmpfs tmpfs rw',
      ].join('\n'),
    )
    const [f] = await makeConfigDirReadonly(refusing('EROFS'), mountinfo).run(ctx)
    assert.equal(f?.severity, 'error')
    assert.equal(f?.fix, `sudo mount -o remount,rw ${dir}`)
  }))

test('config_dir.readonly: a credential file mounted read-only in a writable directory', () =>
  withConfigDir(async ({ ctx }) => {
    const [f] = await makeConfigDirReadonly(refusing('EROFS', ctx.credentialFile), '/nonexistent').run(ctx)
    assert.match(f?.found ?? '', /\.credentials\.json is on a read-only mount/)
    assert.equal(f?.fix, 'sudo mount -o remount,rw /')
  }))

test('config_dir.readonly: writable, or not made yet → nothing to report', async () => {
  await withConfigDir(async ({ ctx }) => {
    assert.deepEqual(await makeConfigDirReadonly(async () => {}).run(ctx), [])
  })
  const { ctx, cleanup } = await fixtureContext()
  try {
    assert.deepEqual(await makeConfigDirReadonly(refusing('EACCES')).run(ctx), [])
  } finally {
    await cleanup()
  }
})
