import assert from 'node:assert/strict'
import { lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { credentialsShape } from './credentialsShape.js'
import { fixtureContext } from './fixtureContext.js'
import { onboardingMissing } from './onboardingMissing.js'

test('credentials.shape fix: scopes become an array, written through a symlink to its target', async () => {
  const { ctx, dir, cleanup } = await fixtureContext()
  try {
    const target = join(dir, 'dotfiles.json')
    await mkdir(ctx.configDir as string, { recursive: true })
    const oauth = { accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000, scopes: { x: 1 } }
    await writeFile(target, JSON.stringify({ claudeAiOauth: oauth, mcpOAuth: { s: 1 } }), { mode: 0o600 })
    await symlink(target, ctx.credentialFile)
    const [f] = await credentialsShape.run(ctx)
    assert.ok(f?.autofix)
    const said = await credentialsShape.fix?.(ctx, f)
    assert.match(said ?? '', /^set scopes in .* to \["user:profile","user:inference",/)
    assert.ok((await lstat(ctx.credentialFile)).isSymbolicLink(), 'the link is kept')
    const written = JSON.parse(await readFile(target, 'utf8'))
    assert.deepEqual(written.claudeAiOauth.scopes, (ctx.profile.scope ?? '').split(' '))
    assert.deepEqual(written.mcpOAuth, { s: 1 })
    assert.deepEqual(await credentialsShape.run(ctx), [])
  } finally {
    await cleanup()
  }
})

test('onboarding.missing fix: creates .claude.json when there is none, with no backup', async () => {
  const { ctx, cleanup } = await fixtureContext()
  try {
    const env = { ...ctx.env, CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-xxxxxxxxxxxxxxxxxxxxxxxx' }
    const c = { ...ctx, env }
    const [f] = await onboardingMissing.run(c)
    assert.ok(f?.autofix)
    assert.match((await onboardingMissing.fix?.(c, f)) ?? '', /^set "hasCompletedOnboarding": true in \S+$/)
    const file = join(ctx.configDir as string, '.claude.json')
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { hasCompletedOnboarding: true })
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.deepEqual(await readdir(ctx.configDir as string), ['.claude.json'])
    assert.deepEqual(await onboardingMissing.run(c), [])
  } finally {
    await cleanup()
  }
})

test('onboarding.missing: without CLAUDE_CONFIG_DIR the file is ~/.claude.json; not JSON → no autofix', async () => {
  const { ctx, cleanup } = await fixtureContext()
  try {
    const c = { ...ctx, env: { ANTHROPIC_API_KEY: 'sk-ant-api03-xxxxxxxxxxxxxxxxxxxxxxxx' } }
    await mkdir(ctx.home, { recursive: true })
    await writeFile(join(ctx.home, '.claude.json'), '{"theme":')
    const [f] = await onboardingMissing.run(c)
    assert.match(f?.found ?? '', /home\/\.claude\.json is not a JSON object/)
    assert.equal(f?.autofix, false)
    assert.equal(f?.fix, null)
  } finally {
    await cleanup()
  }
})
