import { Command, Option } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { intIn, jsonOption } from '../options.js'
import type { KeepaliveInstallOptions, KeepaliveRunOptions, KeepaliveStatusOptions } from './options.js'

const warnDays = () =>
  new Option('--warn-days <n>', 'warn when a login ends within this many days').argParser(intIn(0, 365))
const notifyCommand = () =>
  new Option(
    '--notify-command <cmd>',
    'run through /bin/sh once per warning, with AUTHKEEP_PROFILE, AUTHKEEP_REASON and AUTHKEEP_DETAIL set',
  )

export function keepaliveCommand(dispatch: Dispatch): Command {
  const run = new Command('run')
    .description(
      'refresh every logged-in profile before it expires, until stopped (SIGTERM/SIGINT; SIGHUP re-reads)',
    )
    .addOption(warnDays().default(3))
    .addOption(notifyCommand())
    .option('--once', 'refresh what is due now, then exit (for cron)')
    .addOption(
      new Option('--backoff-min <seconds>', 'first delay after a failed refresh')
        .argParser(intIn(1, 86_400))
        .default(10),
    )
    .addOption(
      new Option('--backoff-max <seconds>', 'longest delay between retries')
        .argParser(intIn(1, 86_400))
        .default(1800),
    )
    .action((opts: KeepaliveRunOptions) =>
      dispatch(() => import('./run.js').then((m) => m.keepaliveRunRun), opts),
    )
  const status = new Command('status')
    .description("the daemon's state: per profile the next and last refresh, errors, warnings")
    .addOption(jsonOption())
    .action((opts: KeepaliveStatusOptions) =>
      dispatch(() => import('./run.js').then((m) => m.keepaliveStatusRun), opts),
    )
  const install = new Command('install')
    .description('run the daemon as a systemd user service (or from crontab where there is no systemd)')
    .addOption(notifyCommand())
    .addOption(warnDays())
    .action((opts: KeepaliveInstallOptions) =>
      dispatch(() => import('./run.js').then((m) => m.keepaliveInstallRun), opts),
    )
  const uninstall = new Command('uninstall')
    .description('stop the service and remove its unit and crontab lines')
    .action(() => dispatch(() => import('./run.js').then((m) => m.keepaliveUninstallRun), {}))
  const keepalive = new Command('keepalive').description(
    'keep logins alive on an idle machine: a refresh daemon, its state, and its service',
  )
  // Usage errors in these subcommands go through main's error mapping (exit 2) like the others.
  for (const sub of [run, status, install, uninstall]) keepalive.addCommand(sub.exitOverride())
  return keepalive
}
