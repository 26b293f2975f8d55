import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ConfigError } from '../errors.js'
import { BINDING_FILE, bindingFor } from './accountBinding.js'

test('bindings: the nearest file wins, PROFILE=NAME lines beat a bare name, other profiles look further up', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'authkeep-binding-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const deep = join(root, 'a', 'b', 'c')
  await mkdir(deep, { recursive: true })
  await writeFile(join(root, BINDING_FILE), 'codex=work\n')
  await writeFile(join(root, 'a', BINDING_FILE), '# the client pays\npersonal\nclaude-code = client-x\n')
  assert.deepEqual(await bindingFor(deep, 'claude-code'), {
    account: 'client-x',
    file: join(root, 'a', BINDING_FILE),
  })
  assert.deepEqual(await bindingFor(deep, 'gemini'), {
    account: 'personal',
    file: join(root, 'a', BINDING_FILE),
  })
  await writeFile(join(root, 'a', BINDING_FILE), 'claude-code=client-x\n')
  assert.deepEqual(await bindingFor(deep, 'codex'), { account: 'work', file: join(root, BINDING_FILE) })
  await writeFile(join(root, 'a', BINDING_FILE), 'claude-code=../../etc\n')
  await assert.rejects(bindingFor(deep, 'claude-code'), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.equal(err.file, join(root, 'a', BINDING_FILE))
    return true
  })
})
