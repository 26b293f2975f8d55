import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { LoginRequiredError } from '../../errors.js'
import { fixtureContext } from './fixtureContext.js'
import { loginOnline } from './loginOnline.js'

async function listening(): Promise<{ url: string; close: () => void }> {
  const s = createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as { port: number }
  return { url: `http://127.0.0.1:${port}/token`, close: () => s.close() }
}

test('login.online: a login the server refused is an error with reset; any other failure a warning', async () => {
  const { ctx, cleanup } = await fixtureContext({ online: true })
  const server = await listening()
  try {
    await mkdir(ctx.configDir as string, { recursive: true })
    await writeFile(ctx.credentialFile, '{}')
    const profile = { ...ctx.profile, endpoints: { ...ctx.profile.endpoints, token: server.url } }
    const refused = async () => {
      throw new LoginRequiredError('claude-code', 'invalid_grant: token revoked')
    }
    const [f] = await loginOnline.run({ ...ctx, profile, refreshNow: refused })
    assert.equal(f?.severity, 'error')
    assert.equal(f?.found, 'the server refused the login: invalid_grant: token revoked')
    assert.equal(f?.fix, 'authkeep reset --profile claude-code')

    const broken = async () => {
      throw new Error('the disk is on fire')
    }
    const [g] = await loginOnline.run({ ...ctx, profile, refreshNow: broken })
    assert.equal(g?.severity, 'warning')
    assert.equal(g?.found, 'the test refresh failed: the disk is on fire')

    assert.deepEqual(await loginOnline.run({ ...ctx, profile, refreshNow: broken, online: false }), [])
  } finally {
    server.close()
    await cleanup()
  }
})
