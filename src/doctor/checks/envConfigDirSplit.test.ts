import assert from 'node:assert/strict'
import { test } from 'node:test'
import { envConfigDirSplit } from './envConfigDirSplit.js'
import { fixtureContext } from './fixtureContext.js'

test("env.config_dir_split: claude_config_dir in authkeep's config that Claude Code does not follow", async () => {
  const { ctx, dir, cleanup } = await fixtureContext()
  try {
    const kept = `${dir}/kept`
    const profile = { ...ctx.profile, claudeConfigDir: kept }
    const [f] = await envConfigDirSplit.run({ ...ctx, profile, env: {}, configDir: kept })
    assert.equal(f?.severity, 'warning')
    assert.match(f?.found ?? '', /CLAUDE_CONFIG_DIR is not set$/)
    assert.equal(f?.fix, `export CLAUDE_CONFIG_DIR=${kept}`)
    const same = { ...ctx, profile, env: { CLAUDE_CONFIG_DIR: `${kept}/` }, configDir: kept }
    assert.deepEqual(await envConfigDirSplit.run(same), [])
  } finally {
    await cleanup()
  }
})
