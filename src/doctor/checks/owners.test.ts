import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import { credentialsOwner } from './credentialsOwner.js'
import { fixtureContext } from './fixtureContext.js'
import { homeOwner } from './homeOwner.js'

// Files here belong to whoever runs the test; a doctor running as another uid is acted out by ctx.uid.
const otherUid = (process.getuid?.() ?? 1000) + 4242

test('credentials.owner: a file owned by another uid than doctor runs as is an error, fixed by chown', async () => {
  const { ctx, cleanup } = await fixtureContext({ uid: otherUid })
  try {
    await mkdir(ctx.configDir as string, { recursive: true })
    await writeFile(ctx.credentialFile, '{}', { mode: 0o600 })
    const [f] = await credentialsOwner.run(ctx)
    assert.equal(f?.severity, 'error')
    assert.equal(f?.fix, `sudo chown ${otherUid} ${ctx.credentialFile}`)
    assert.deepEqual(await credentialsOwner.run({ ...ctx, uid: process.getuid?.() ?? 1000 }), [])
  } finally {
    await cleanup()
  }
})

test('home.owner: HOME of another user (sudo without -H) is an error, fixed by sudo -H', async () => {
  const { ctx, cleanup } = await fixtureContext({ uid: otherUid })
  try {
    await mkdir(ctx.home, { recursive: true })
    const [f] = await homeOwner.run(ctx)
    assert.equal(f?.severity, 'error')
    assert.equal(f?.fix, `sudo -H -u "$(stat -c %U ${ctx.home})" authkeep doctor --profile claude-code`)
    assert.deepEqual(await homeOwner.run({ ...ctx, uid: process.getuid?.() ?? 1000 }), [])
  } finally {
    await cleanup()
  }
})

test('owner checks stay quiet where there is no uid (Windows) or no file', async () => {
  const { ctx, cleanup } = await fixtureContext({ uid: -1 })
  try {
    assert.deepEqual(await homeOwner.run(ctx), [])
    assert.deepEqual(await credentialsOwner.run({ ...ctx, uid: otherUid }), [])
  } finally {
    await cleanup()
  }
})
