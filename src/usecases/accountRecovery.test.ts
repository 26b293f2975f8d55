import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { bufferIo } from '../ports/io.js'
import { CLAUDE_CODE_DEFAULTS } from '../profiles/claudeCode.js'
import { resolvePaths } from '../profiles/paths.js'
import { toProfile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import { readAccounts, writeAccounts } from '../stores/accountSlots.js'
import type { Credential } from '../stores/credential.js'
import { type MemoryStore, memoryStore } from '../stores/memoryStore.js'
import { recoverSwitch } from './accountRecovery.js'
import { testDeps } from './testDeps.js'

const profile = toProfile('claude-code', CLAUDE_CODE_DEFAULTS)
const login = (refresh: string): Credential => ({
  profile: 'x',
  state: 'active',
  stateReason: undefined,
  tokenType: 'Bearer',
  accessToken: new Secret(`at-${refresh}`),
  refreshToken: new Secret(refresh),
  idToken: undefined,
  scope: undefined,
  expiresAt: new Date(Date.now() + 3_600_000),
  refreshExpiresAt: undefined,
  obtainedAt: new Date(),
  updatedAt: new Date(),
  host: 'h',
  secretsIn: 'file',
  extra: {},
})

/**
 * A switch from a to b killed with the grants where `at` says; recovery under the locks decides.
 * Returns the active account afterwards, what each place holds, and what was said.
 */
async function recover(at: { target?: string; a?: string; b?: string }) {
  const dir = await mkdtemp(join(tmpdir(), 'authkeep-recover-'))
  try {
    const stores = new Map<string, MemoryStore>([
      ['claude-code', memoryStore(at.target ? login(at.target) : undefined)],
      ['claude-code@a', memoryStore(at.a ? login(at.a) : undefined)],
      ['claude-code@b', memoryStore(at.b ? login(at.b) : undefined)],
    ])
    const io = bufferIo(Readable.from([]))
    const deps = testDeps({
      io,
      paths: resolvePaths({ AUTHKEEP_HOME: dir }, dir),
      credentialsOf: (p) => stores.get(p.name) as MemoryStore,
    })
    const entry = { added_at: new Date().toISOString(), identity: {} }
    await writeAccounts(deps.paths, {
      version: 1,
      profile: 'claude-code',
      active: 'a',
      accounts: { a: entry, b: entry },
      switching: { from: 'a', to: 'b', started_at: new Date().toISOString() },
    })
    await recoverSwitch(deps, profile)
    const after = await readAccounts(deps.paths, 'claude-code')
    assert.equal(after.switching, undefined, 'the journal is gone')
    const held = (name: string) => stores.get(name)?.current?.refreshToken?.reveal()
    return {
      active: after.active,
      target: held('claude-code'),
      a: held('claude-code@a'),
      b: held('claude-code@b'),
      said: io.stderr,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

test('recovery: a killed switch is finished or undone by where the grants are, one copy each', async () => {
  // Killed before a's tokens were saved: undone, nothing moved.
  assert.deepEqual(await recover({ target: 'A', b: 'B' }), {
    active: 'a',
    target: 'A',
    a: undefined,
    b: 'B',
    said: '',
  })
  // a's tokens saved, b not yet written: undone, the saved copy dropped.
  assert.deepEqual(await recover({ target: 'A', a: 'A', b: 'B' }), {
    active: 'a',
    target: 'A',
    a: undefined,
    b: 'B',
    said: '',
  })
  // b written into the CLI's file, its slot not yet emptied: finished.
  assert.deepEqual(await recover({ target: 'B', a: 'A', b: 'B' }), {
    active: 'b',
    target: 'B',
    a: 'A',
    b: undefined,
    said: '',
  })
  // b's slot emptied, the accounts file not yet written: finished.
  assert.deepEqual(await recover({ target: 'B', a: 'A' }), {
    active: 'b',
    target: 'B',
    a: 'A',
    b: undefined,
    said: '',
  })
  // The CLI refreshed in between (its file matches neither copy): every copy kept, none marked active.
  const changed = await recover({ target: 'C', a: 'A', b: 'B' })
  assert.deepEqual(
    { ...changed, said: undefined },
    { active: null, target: 'C', a: 'A', b: 'B', said: undefined },
  )
  assert.match(changed.said, /was interrupted and the credential changed since; every copy was kept/)
})
