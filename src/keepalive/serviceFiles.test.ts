import assert from 'node:assert/strict'
import { test } from 'node:test'
import { UsageError } from '../errors.js'
import { CRON_MARK, cronLines, editCrontab, renderUnit } from './serviceFiles.js'

const cmd = {
  argv: [
    '/usr/bin/node',
    '/opt/authkeep/bin/authkeep.mjs',
    'keepalive',
    'run',
    '--notify-command',
    `say "$X" 5% it's`,
  ],
  env: [['AUTHKEEP_HOME', '/home/u/ak 1']] as Array<[string, string]>,
}

test('the unit quotes every word so systemd expands neither % nor $', () => {
  const unit = renderUnit(cmd)
  assert.match(
    unit,
    /^ExecStart="\/usr\/bin\/node" "\/opt\/authkeep\/bin\/authkeep.mjs" "keepalive" "run" "--notify-command" "say \\"\$\$X\\" 5%% it's"$/m,
  )
  assert.match(unit, /^Environment="AUTHKEEP_HOME=\/home\/u\/ak 1"$/m)
  assert.match(unit, /^Restart=on-failure$/m)
  assert.match(unit, /^WantedBy=default.target$/m)
})

test('a newline in an argument is refused rather than split into a second directive', () => {
  assert.throws(() => renderUnit({ argv: ['a\nExecStartPre=/bin/evil'], env: [] }), UsageError)
  assert.throws(() => cronLines({ argv: ['a\n* * * * * evil'], env: [] }, '/l'), UsageError)
})

test('crontab lines are sh-quoted, % escaped for cron, and marked', () => {
  const [boot, periodic] = cronLines(cmd, '/home/u/log')
  assert.equal(
    boot,
    `@reboot AUTHKEEP_HOME='/home/u/ak 1' /usr/bin/node /opt/authkeep/bin/authkeep.mjs keepalive run --notify-command 'say "$X" 5\\% it'\\''s' >> /home/u/log 2>&1 ${CRON_MARK}`,
  )
  assert.match(
    periodic as string,
    /^\*\/15 \* \* \* \* .* --once >> \/home\/u\/log 2>&1 # authkeep-keepalive$/,
  )
})

test('editing the crontab keeps other lines, replaces ours, and is idempotent', () => {
  const mine = ['@reboot x # authkeep-keepalive', '*/15 * * * * y # authkeep-keepalive']
  const theirs = 'MAILTO=a@b\n0 3 * * * backup\n'
  const once = editCrontab(theirs, mine)
  assert.equal(once, `${theirs}${mine.join('\n')}\n`)
  assert.equal(editCrontab(once, mine), once)
  assert.equal(editCrontab(once, undefined), theirs)
  assert.equal(editCrontab('', mine), `${mine.join('\n')}\n`)
  assert.equal(editCrontab(`${mine.join('\n')}\n`, undefined), '')
})
