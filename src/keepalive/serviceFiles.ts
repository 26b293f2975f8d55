import { UsageError } from '../errors.js'

export const UNIT_NAME = 'authkeep-keepalive.service'
export const CRON_MARK = '# authkeep-keepalive'

/** The variables that decide which files the daemon reads: a service manager would not pass them on. */
export const CARRIED_ENV = ['AUTHKEEP_HOME', 'XDG_CONFIG_HOME', 'XDG_STATE_HOME', 'CLAUDE_CONFIG_DIR']

export interface ServiceCommand {
  /** node, the script, then the arguments. */
  argv: string[]
  env: Array<[string, string]>
}

function oneLine(value: string, what: string): string {
  if (/[\r\n\0]/.test(value)) throw new UsageError(`${what} must be one line`)
  return value
}

/** A systemd ExecStart word: quoted, with C escapes, and % and $ doubled so systemd expands nothing. */
function unitWord(arg: string): string {
  const escaped = oneLine(arg, 'every argument')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/%/g, '%%')
    .replace(/\$/g, '$$$$')
  return `"${escaped}"`
}

function unitEnv(name: string, value: string): string {
  const escaped = oneLine(value, name).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')
  return `Environment="${name}=${escaped}"`
}

const KEEPALIVE_LABELS = {
  comment: '# Written by `authkeep keepalive install`; `authkeep keepalive uninstall` removes it.',
  description: 'authkeep keep-alive: refreshes OAuth logins before they expire',
}

/** `labels` names another daemon run the same way (the fleet's refresher). */
export function renderUnit(cmd: ServiceCommand, labels = KEEPALIVE_LABELS): string {
  return [
    labels.comment,
    '[Unit]',
    `Description=${labels.description}`,
    // A daemon that keeps failing at start (a broken config) stops being restarted after 5 tries.
    'StartLimitIntervalSec=600',
    'StartLimitBurst=5',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${cmd.argv.map(unitWord).join(' ')}`,
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'RestartSec=30',
    ...cmd.env.map(([k, v]) => unitEnv(k, v)),
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n')
}

/** A POSIX-sh word for a crontab line; cron turns a bare % into a newline, so it is escaped too. */
function shWord(arg: string): string {
  const quoted = /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
  return oneLine(quoted, 'every argument').replace(/%/g, '\\%')
}

/**
 * Two marked lines: the daemon at boot, and a periodic `--once` pass that covers the time until the next
 * boot and any crash of the daemon (cron restarts nothing). The pass does nothing while the daemon runs.
 */
export function cronLines(cmd: ServiceCommand, logFile: string): string[] {
  const env = cmd.env.map(([k, v]) => `${k}=${shWord(v)}`)
  const line = (extra: string[]) =>
    [...env, ...cmd.argv.map(shWord), ...extra, '>>', shWord(logFile), '2>&1', CRON_MARK].join(' ')
  return [`@reboot ${line([])}`, `*/15 * * * * ${line(['--once'])}`]
}

/** The crontab without authkeep's lines, and with them appended when `lines` is given. */
export function editCrontab(current: string, lines: string[] | undefined): string {
  const kept = current
    .split('\n')
    .filter((l) => !l.trimEnd().endsWith(CRON_MARK))
    .join('\n')
    .replace(/\n+$/, '')
  const body = [kept, ...(lines ?? [])].filter((l) => l !== '').join('\n')
  return body === '' ? '' : `${body}\n`
}
