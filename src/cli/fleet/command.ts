import { Command, Option } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { intIn, jsonOption } from '../options.js'
import type {
  FleetHostAddOptions,
  FleetInitOptions,
  FleetJsonOptions,
  FleetPushOptions,
  FleetRefresherOptions,
} from './options.js'

const collect = (value: string, previous: string[]) => [...previous, value]
const seconds = (flag: string, what: string, dflt: number, min = 1) =>
  new Option(`${flag} <seconds>`, what).argParser(intIn(min, 3600)).default(dflt)

export function fleetCommand(dispatch: Dispatch): Command {
  const load =
    <O>(name: string) =>
    (opts: O) =>
      dispatch(() => import('./run.js').then((m) => m[name as keyof typeof m] as never), opts)
  const init = new Command('init')
    .description(
      "join this machine to a fleet (or create one with --create); prints this machine's public key",
    )
    .requiredOption(
      '--endpoints <urls>',
      'etcd client URLs, comma-separated (https://, or http:// to loopback)',
    )
    .requiredOption(
      '--name <name>',
      "this machine's name in the fleet: its etcd user, the CN of its certificate",
    )
    .option('--ca <file>', "the CA certificate etcd's server certificate is checked against")
    .option('--cert <file>', "this machine's client certificate (its CN is the etcd user)")
    .option('--key <file>', "the client certificate's private key")
    .option('--prefix <prefix>', 'the etcd key prefix of the fleet', '/authkeep/v1/')
    .option('--profile <name>', 'a fleet profile this host serves (repeatable)', collect, [] as string[])
    .option(
      '--create',
      'create the fleet: its grant key, with this machine as its first refresher (needs the etcd root role)',
    )
    .action(load<FleetInitOptions>('fleetInitRun'))
  const push = new Command('push')
    .description(
      'move a local login into the fleet; afterwards no refresh token of it remains on this machine',
    )
    .requiredOption('--profile <name>', 'the profile whose login moves')
    .action(load<FleetPushOptions>('fleetPushRun'))
  const refresher = new Command('refresher')
    .description(
      "refresh the fleet's logins before they expire, each exactly once per cycle, until stopped (SIGTERM/SIGINT)",
    )
    .option('--once', 'refresh what is due now, then exit')
    .option(
      '--notify-command <cmd>',
      'run through /bin/sh when a login needs renewing, with AUTHKEEP_PROFILE, AUTHKEEP_REASON and AUTHKEEP_DETAIL set',
    )
    .option(
      '--print-unit',
      'print a systemd user unit that runs this refresher with these options, then exit',
    )
    .addOption(jsonOption())
    .addOption(
      new Option('--concurrency <n>', 'refreshes in flight at once').argParser(intIn(1, 256)).default(8),
    )
    .addOption(
      seconds(
        '--lease-ttl',
        "the session lease's TTL: how long a stopped refresher holds its profiles",
        15,
        2,
      ),
    )
    .addOption(
      seconds(
        '--grace',
        'how long to wait before reusing a refresh token another refresher may have sent',
        30,
      ),
    )
    .addOption(seconds('--scan-interval', 'how often to look for due logins', 5))
    .addOption(
      seconds('--http-timeout', 'the token endpoint timeout (at most two thirds of the lease, less 1 s)', 8),
    )
    .action(load<FleetRefresherOptions>('fleetRefresherRun'))
  const hostAdd = new Command('add')
    .description("enrol a machine: its public key, its profiles' keys wrapped to it, its etcd user and role")
    .argument('<name>', "the machine's name (the CN of its etcd client certificate)")
    .requiredOption('--public-key <key>', 'what `fleet init` printed on that machine')
    .option('--refresher', 'the machine refreshes: it may read refresh tokens')
    .option('--profile <name>', 'a fleet profile the machine may read (repeatable)', collect, [] as string[])
    .action((name: string, opts: FleetHostAddOptions) =>
      dispatch(() => import('./run.js').then((m) => m.fleetHostAddRun), { ...opts, name }),
    )
  const hostRemove = new Command('remove')
    .description('remove a machine: its etcd user and keys; its profiles get new keys')
    .argument('<name>')
    .action((name: string) => dispatch(() => import('./run.js').then((m) => m.fleetHostRemoveRun), { name }))
  const hostList = new Command('list')
    .description('the enrolled machines')
    .addOption(jsonOption())
    .action(load<FleetJsonOptions>('fleetHostListRun'))
  const host = new Command('host').description("enrol, remove and list the fleet's machines")
  for (const sub of [hostAdd, hostRemove, hostList]) host.addCommand(sub.exitOverride())
  const status = new Command('status')
    .description('per profile: state, expiry, last refresher, needs-login; per refresher: alive, share')
    .addOption(jsonOption())
    .action(load<FleetJsonOptions>('fleetStatusRun'))
  const fleet = new Command('fleet').description(
    'one login serving many machines: grants in etcd, refreshed exactly once, access tokens to hosts',
  )
  for (const sub of [init, push, refresher, host, status]) fleet.addCommand(sub.exitOverride())
  return fleet
}
