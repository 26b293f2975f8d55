import { rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import {
  fileContent,
  isoArb,
  nastyString,
  readsOrRejectsCleanly,
  runProperty,
  scratchDir,
  weirdNumber,
} from '../../test/fuzz/kit.js'
import { resolvePaths } from '../profiles/paths.js'
import { readState, stateFile } from './state.js'

const AREA = 'keepalive-state'
const dir = await scratchDir('keepalive')
after(() => rm(dir, { recursive: true, force: true }))
const paths = resolvePaths({ AUTHKEEP_HOME: dir }, '/nonexistent')
const file = stateFile(paths)
await import('node:fs/promises').then((fs) => fs.mkdir(dirname(file), { recursive: true }))

const profileState = fc.record({
  state: fc.constantFrom('ok', 'retrying', 'login_required'),
  next_refresh_at: fc.oneof(isoArb, fc.constant(null)),
  last_refresh_at: fc.oneof(isoArb, fc.constant(null)),
  access_token_expires_at: fc.constant(null),
  login_ends_at: fc.constant(null),
  last_error: fc.oneof(nastyString, fc.constant(null)),
  last_error_at: fc.constant(null),
  consecutive_failures: weirdNumber,
  warnings: fc.array(
    fc.record({
      reason: fc.constantFrom('login_required', 'login_ending', 'refresh_failing'),
      detail: nastyString,
      since: isoArb,
      notified_at: fc.constant(null),
      notify_exit: fc.oneof(weirdNumber, fc.constant(null)),
    }),
    { maxLength: 2 },
  ),
})
const validState = fc.record({
  version: fc.constant(1),
  daemon: fc.record({
    pid: weirdNumber,
    started_at: isoArb,
    heartbeat_at: isoArb,
    stopped_at: fc.constant(null),
    warn_days: fc.constant(3),
    notify_command: fc.boolean(),
  }),
  profiles: fc.dictionary(
    fc.oneof(fc.constantFrom('work', '__proto__', 'constructor'), nastyString),
    profileState,
    {
      maxKeys: 2,
    },
  ),
})

test('keep-alive state: read, or a one-line ConfigError naming the file; nothing written', async () => {
  await runProperty(AREA, fileContent(validState), async (content) => {
    await writeFile(file, content, { mode: 0o600 })
    await readsOrRejectsCleanly(dir, file, () => readState(paths))
  })
})
