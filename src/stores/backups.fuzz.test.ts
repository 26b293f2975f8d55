import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import {
  assertShowable,
  fileContent,
  isoArb,
  nastyString,
  readsOrRejectsCleanly,
  runProperty,
  scratchDir,
  secretArb,
} from '../../test/fuzz/kit.js'
import { resolvePaths } from '../profiles/paths.js'
import { listBackups, readBackup } from './backups.js'

const AREA = 'backups'
const dir = await scratchDir('backups')
after(() => rm(dir, { recursive: true, force: true }))
const paths = resolvePaths({ AUTHKEEP_HOME: dir }, '/nonexistent')
const file = join(paths.backupsDir, 'work', '2030-01-01T00-00-00-000Z-reset.json')
await mkdir(join(paths.backupsDir, 'work'), { recursive: true })

const validBackup = fc.record({
  kind: fc.constant('authkeep-backup'),
  version: fc.constant(2),
  profile: fc.constant('work'),
  reason: fc.constantFrom('login', 'logout', 'reset', 'restore', 'last-good'),
  created_at: isoArb,
  file: fc.constant('/home/u/.claude/.credentials.json'),
  content: fc.oneof(secretArb, nastyString),
  keyring_secrets: fc.record({ access_token: secretArb, refresh_token: secretArb }),
})

test('a backup file: read, or a one-line ConfigError naming it; `backups` lists it in one plain line; nothing written', async () => {
  await runProperty(AREA, fileContent(validBackup), async (content) => {
    await writeFile(file, content, { mode: 0o600 })
    await readsOrRejectsCleanly(dir, file, () => readBackup(file), {
      // Listed even when the read is rejected; `backups` shows every file, so its errors are not excused.
      afterwards: async () => {
        for (const entry of await listBackups(paths)) {
          assertShowable(`${entry.id} ${entry.reason} ${entry.created_at}`, 'the backups listing')
        }
      },
    })
  })
})
