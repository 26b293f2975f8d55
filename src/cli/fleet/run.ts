import { unlink } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Deps } from '../../deps.js'
import { ExitCode, LoginRequiredError, UsageError } from '../../errors.js'
import { addHost, createFleet, fleetStatus, listHosts, pushGrant, removeHost } from '../../fleet/admin.js'
import {
  DEFAULT_PREFIX,
  endpointProblem,
  FLEET_NAME,
  type FleetRecord,
  machineKeyFile,
} from '../../fleet/config.js'
import { type Connected, connect, etcdError } from '../../fleet/connection.js'
import { isPublicKey } from '../../fleet/crypto.js'
import { layout } from '../../fleet/layout.js'
import { ensureMachineKey, loadMachine, type Machine } from '../../fleet/machine.js'
import { startRefresher } from '../../fleet/refresher.js'
import { shellNotifier } from '../../keepalive/notify.js'
import { CARRIED_ENV, renderUnit } from '../../keepalive/serviceFiles.js'
import { printable } from '../../printable.js'
import { BUILTINS, loadConfig, pickProfile, saveConfig } from '../../profiles/configFile.js'
import { PROFILE_NAME, type ProfileRecord } from '../../profiles/profile.js'
import { listBackups } from '../../stores/backups.js'
import { quoteInput } from '../../validation.js'
import type { Run } from '../dispatch.js'
import type {
  FleetHostAddOptions,
  FleetInitOptions,
  FleetJsonOptions,
  FleetPushOptions,
  FleetRefresherOptions,
} from './options.js'

async function withEtcd<T>(
  machine: Machine,
  what: string,
  step: (c: Connected) => Promise<T>,
  deadlineMs = 5000,
): Promise<T> {
  const connected = await connect(machine.fleet, { deadlineMs })
  try {
    return await step(connected)
  } catch (err) {
    throw etcdError(err, machine.fleet, what)
  } finally {
    connected.close()
  }
}

function checkName(name: string, flag: string): void {
  if (!FLEET_NAME.test(name))
    throw new UsageError(
      `${flag} "${quoteInput(name)}" is not a machine name (letters, digits, ".", "_", "-")`,
      'authkeep fleet host list',
    )
}

function checkProfiles(names: string[]): void {
  for (const p of names)
    if (!PROFILE_NAME.test(p))
      throw new UsageError(
        `--profile "${quoteInput(p)}" is not a valid profile name`,
        'authkeep profile list',
      )
}

export const fleetInitRun: Run<FleetInitOptions> = async (deps, opts) => {
  const endpoints = opts.endpoints
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
  const files = [opts.ca, opts.cert, opts.key]
  const tls = files.every((f) => f !== undefined)
  if (!tls && files.some((f) => f !== undefined))
    throw new UsageError('--ca, --cert and --key go together', 'authkeep fleet init --help')
  if (endpoints.length === 0) throw new UsageError('--endpoints names no URL', 'authkeep fleet init --help')
  for (const url of endpoints) {
    const problem = endpointProblem(url, tls)
    if (problem)
      throw new UsageError(`--endpoints "${quoteInput(url)}" ${problem}`, 'authkeep fleet init --help')
  }
  checkName(opts.name, '--name')
  checkProfiles(opts.profile)
  const prefix = opts.prefix ?? DEFAULT_PREFIX
  if (!/^\/[\x21-\x7e]*\/$/.test(prefix))
    throw new UsageError(`--prefix must start and end with "/"`, 'authkeep fleet init --help')
  const config = await loadConfig(deps.paths)
  const before = (config.raw as { fleet?: FleetRecord }).fleet
  const record: FleetRecord = {
    endpoints,
    ...(tls
      ? {
          ca_file: resolve(opts.ca as string),
          cert_file: resolve(opts.cert as string),
          key_file: resolve(opts.key as string),
        }
      : {}),
    prefix,
    name: opts.name,
    profiles: [...new Set([...(before?.name === opts.name ? before.profiles : []), ...opts.profile])],
  }
  for (const p of record.profiles) {
    if (p in config.raw.profiles)
      throw new UsageError(
        `profile "${p}" is configured on this machine; a fleet profile cannot share its name`,
        `authkeep profile remove ${p}`,
      )
  }
  const me = await ensureMachineKey(machineKeyFile(deps.paths))
  await saveConfig(config, { ...config.raw, fleet: record } as typeof config.raw)
  if (opts.create) {
    const machine = await loadMachine(deps.paths)
    await withEtcd(machine, 'create the fleet', ({ client }) =>
      createFleet(client, layout(prefix), opts.name, me, deps.clock.now()),
    )
    deps.io.err(`authkeep: created the fleet under ${prefix}; "${opts.name}" is its first refresher\n`)
  }
  deps.io.err(
    `authkeep: this machine is "${opts.name}" in the fleet; enrol it on a refresher with: authkeep fleet host add ${opts.name} --public-key ${me.publicKey}${record.profiles.map((p) => ` --profile ${p}`).join('')}\n`,
  )
  deps.io.out(`${me.publicKey}\n`)
  return ExitCode.ok
}

export const fleetPushRun: Run<FleetPushOptions> = async (deps, opts) => {
  const config = await loadConfig(deps.paths)
  const profile = pickProfile(config, opts.profile, deps.processEnv, 'fleet push')
  if (profile.fleet)
    throw new UsageError(`profile "${profile.name}" already comes from the fleet`, 'authkeep fleet status')
  if (await deps.clientSecrets.get(profile.name))
    throw new UsageError(
      `profile "${profile.name}" has a client secret; the fleet serves public clients only`,
      'authkeep fleet status',
    )
  if (profile.kind !== 'oauth' && profile.kind !== 'claude-code')
    throw new UsageError(
      `profile "${profile.name}" is a ${profile.kind} profile; the fleet refreshes OAuth and claude-code logins`,
      'authkeep fleet status',
    )
  const store = deps.credentialsOf(profile)
  const credential = await store.read()
  if (!credential?.refreshToken || credential.state !== 'active')
    throw new LoginRequiredError(
      profile.name,
      `profile "${profile.name}" has no active login with a refresh token to push`,
    )
  const record = {
    ...BUILTINS[profile.name],
    ...config.raw.profiles[profile.name],
  } as ProfileRecord
  const machine = await loadMachine(deps.paths)
  const L = layout(machine.fleet.prefix)
  const { hosts } = await withEtcd(machine, `push profile "${profile.name}"`, ({ client }) =>
    pushGrant(
      client,
      L,
      { name: machine.fleet.name, me: machine.me },
      { name: profile.name, record },
      {
        refreshToken: credential.refreshToken?.reveal() as string,
        accessToken: credential.accessToken?.reveal(),
        tokenType: credential.tokenType,
        scope: credential.scope,
        expiresAt: credential.expiresAt,
      },
      deps.clock.now(),
    ),
  )
  // The fleet now holds the only live refresh token: a local copy (the record, or a backup of it that
  // `restore` could bring back) would fork the grant at its next use.
  await store.remove(credential.secretsIn)
  const backups = await listBackups(deps.paths, profile.name)
  for (const b of backups) await unlink(b.file)
  deps.io.err(
    `authkeep: profile "${profile.name}" is in the fleet${hosts.length ? ` (hosts: ${hosts.join(', ')})` : ''}; its local login${backups.length ? ` and ${backups.length} backup(s) of it were` : ' was'} removed\n`,
  )
  return ExitCode.ok
}

/** The refresher as a systemd user service: these options, the variables that say where its files are. */
function refresherUnit(deps: Deps, opts: FleetRefresherOptions): string {
  const args = ['fleet', 'refresher']
  const flags: Array<[string, number]> = [
    ['--concurrency', opts.concurrency],
    ['--lease-ttl', opts.leaseTtl],
    ['--grace', opts.grace],
    ['--scan-interval', opts.scanInterval],
    ['--http-timeout', opts.httpTimeout],
  ]
  for (const [flag, value] of flags) args.push(flag, String(value))
  if (opts.notifyCommand) args.push('--notify-command', opts.notifyCommand)
  const env = CARRIED_ENV.flatMap((k): Array<[string, string]> => {
    const v = deps.processEnv[k]
    return v ? [[k, v]] : []
  })
  return renderUnit(
    { argv: [...deps.self, ...args], env },
    {
      comment: `# Written by \`authkeep fleet refresher --print-unit\`: save as ~/.config/systemd/user/authkeep-fleet-refresher.service`,
      description: "authkeep fleet refresher: refreshes the fleet's logins, each exactly once per cycle",
    },
  )
}

export const fleetRefresherRun: Run<FleetRefresherOptions> = async (deps, opts) => {
  // Renewed every third of its TTL, the lease is provably alive for at least two thirds of it: a refresh
  // must fit in that, or none would ever be sent.
  if (opts.httpTimeout + 1 > (opts.leaseTtl * 2) / 3)
    throw new UsageError(
      `--lease-ttl ${opts.leaseTtl} is too short for --http-timeout ${opts.httpTimeout}: a refresh must fit in two thirds of the lease`,
      `authkeep fleet refresher --lease-ttl ${Math.ceil(((opts.httpTimeout + 1) * 3) / 2) + 1} --http-timeout ${opts.httpTimeout}`,
    )
  if (opts.printUnit) {
    deps.io.out(refresherUnit(deps, opts))
    return ExitCode.ok
  }
  const machine = await loadMachine(deps.paths)
  const notify = opts.notifyCommand ? shellNotifier(opts.notifyCommand, deps.processEnv) : undefined
  const log = (line: string) => deps.io.err(`authkeep fleet refresher: ${printable(line)}\n`)
  const connected = await connect(machine.fleet, { deadlineMs: 5000 })
  try {
    const refresher = await startRefresher(connected.client, layout(machine.fleet.prefix), machine.me, {
      name: machine.fleet.name,
      concurrency: opts.concurrency,
      leaseTtlSeconds: opts.leaseTtl,
      graceMs: opts.grace * 1000,
      httpTimeoutMs: opts.httpTimeout * 1000,
      scanMs: opts.scanInterval * 1000,
      skewMs: Math.max(opts.scanInterval * 2000, 2000),
      window: 0.5,
      log,
      onNeedsLogin: (profile, detail) => {
        void notify?.({ profile, reason: 'login_required', detail })
      },
      wallNow: () => deps.clock.now(),
    }).catch((err: unknown) => {
      throw etcdError(err, machine.fleet, 'start a refresher')
    })
    let counts: Awaited<ReturnType<typeof refresher.scan>>
    if (opts.once) {
      counts = await refresher.scan().catch((err: unknown) => {
        throw etcdError(err, machine.fleet, 'scan the fleet')
      })
    } else {
      const stop = new AbortController()
      for (const sig of ['SIGTERM', 'SIGINT'] as const)
        deps.interrupts.handle(sig, () => stop.abort(), { stops: true })
      log(`"${machine.fleet.name}" refreshing the fleet under ${machine.fleet.prefix}`)
      counts = await refresher.run(stop.signal)
    }
    await refresher.close()
    if (opts.json) deps.io.out(`${JSON.stringify(counts)}\n`)
    else
      log(
        `done: ${Object.entries(counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      )
    // --once is for cron and scripts: a login that needs renewing is its exit code; the daemon says so
    // in its log, as it happens, and exits 0 when stopped.
    return opts.once && counts.needsLogin > 0 ? ExitCode.loginRequired : ExitCode.ok
  } finally {
    connected.close()
  }
}

export const fleetHostAddRun: Run<FleetHostAddOptions & { name: string }> = async (deps, opts) => {
  checkName(opts.name, 'machine')
  if (!isPublicKey(opts.publicKey))
    throw new UsageError(
      '--public-key is not an authkeep fleet public key (43 characters, as `fleet init` prints)',
      `authkeep fleet init (on ${opts.name})`,
    )
  checkProfiles(opts.profile)
  const machine = await loadMachine(deps.paths)
  await withEtcd(machine, `enrol machine "${opts.name}"`, ({ client }) =>
    addHost(
      client,
      layout(machine.fleet.prefix),
      { name: machine.fleet.name, me: machine.me },
      {
        name: opts.name,
        publicKey: opts.publicKey,
        refresher: opts.refresher === true,
        profiles: opts.profile,
      },
      deps.clock.now(),
    ),
  )
  deps.io.err(
    `authkeep: enrolled "${opts.name}"${opts.refresher ? ' as a refresher' : ''}${opts.profile.length ? ` for ${opts.profile.join(', ')}` : ''}\n`,
  )
  return ExitCode.ok
}

export const fleetHostRemoveRun: Run<{ name: string }> = async (deps, opts) => {
  checkName(opts.name, 'machine')
  const machine = await loadMachine(deps.paths)
  const { rotated } = await withEtcd(machine, `remove machine "${opts.name}"`, ({ client }) =>
    removeHost(client, layout(machine.fleet.prefix), { name: machine.fleet.name, me: machine.me }, opts.name),
  )
  deps.io.err(
    `authkeep: removed "${opts.name}"${rotated.length ? `; new keys for ${rotated.join(', ')}` : ''}\n`,
  )
  return ExitCode.ok
}

export const fleetHostListRun: Run<FleetJsonOptions> = async (deps, opts) => {
  const machine = await loadMachine(deps.paths)
  const hosts = await withEtcd(machine, 'list the machines', ({ client }) =>
    listHosts(client, layout(machine.fleet.prefix)),
  )
  const rows = hosts.map((h) => ({
    name: h.name,
    refresher: h.record.refresher,
    profiles: h.record.profiles,
    public_key: h.record.public_key,
  }))
  if (opts.json) deps.io.out(`${JSON.stringify(rows, null, 2)}\n`)
  else
    for (const r of rows)
      deps.io.out(`${r.name}\t${r.refresher ? 'refresher' : 'host'}\t${r.profiles.join(',') || '-'}\n`)
  return ExitCode.ok
}

export const fleetStatusRun: Run<FleetJsonOptions> = async (deps, opts) => {
  const machine = await loadMachine(deps.paths)
  const status = await withEtcd(machine, 'read the fleet status', ({ client }) =>
    fleetStatus(client, layout(machine.fleet.prefix)),
  )
  if (opts.json) {
    deps.io.out(`${JSON.stringify(status, null, 2)}\n`)
  } else {
    for (const p of status.profiles) {
      const exp = p.expires_at ? `expires ${p.expires_at}` : 'no token'
      deps.io.out(
        `${p.profile}\t${p.state}\t${exp}\tgen ${p.gen}\tby ${p.refreshed_by ?? '-'}${p.in_flight ? '\tin flight' : ''}${p.reason ? `\t${printable(p.reason)}` : ''}\n`,
      )
    }
    for (const r of status.refreshers)
      deps.io.out(`refresher ${r.name}\t${r.alive ? 'alive' : 'down'}\tshare ${r.share}\n`)
  }
  return status.profiles.some((p) => p.state === 'needs_login') ? ExitCode.loginRequired : ExitCode.ok
}
