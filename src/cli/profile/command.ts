import { Command, Option } from 'commander'
import type { Dispatch } from '../dispatch.js'
import { intIn, jsonOption } from '../options.js'
import type { ProfileAction, ProfileAddOptions } from './options.js'

export function profileCommand(dispatch: Dispatch): Command {
  const run = (a: ProfileAction) => dispatch(() => import('./run.js').then((m) => m.profileRun), a)
  const profile = new Command('profile').description('manage the OAuth providers authkeep signs in to')

  profile
    .command('add <name>')
    .description('add a profile: --issuer URL (endpoints found by discovery) or the endpoints one by one')
    .option('--issuer <url>', 'the issuer; its /.well-known document gives the endpoints')
    .option('--authorization-endpoint <url>', 'authorization endpoint (browser flows)')
    .option('--token-endpoint <url>', 'token endpoint; given with the others, no discovery is made')
    .option('--device-authorization-endpoint <url>', 'RFC 8628 device authorization endpoint')
    .option('--revocation-endpoint <url>', 'RFC 7009 revocation endpoint (used by logout)')
    .requiredOption('--client-id <id>', 'the client id registered at the provider')
    // Optional-value only so that a secret typed after it is refused by run.ts without being echoed,
    // which commander's own "unknown option" error would do.
    .option(
      '--client-secret [none]',
      'the client has a secret: read from a hidden prompt, or stdin when piped; it takes no value',
    )
    .option('--scope <scopes>', 'space-separated scopes, e.g. "openid offline_access"')
    .option('--allow-insecure-http', 'INSECURE: allow plain http:// to a machine other than this one')
    .addOption(
      new Option('--store <where>', 'where tokens go: auto (keyring, else file), file, keyring').choices([
        'auto',
        'file',
        'keyring',
      ]),
    )
    .addOption(
      new Option('--refresh-margin <seconds>', 'refresh this long before expiry (default 60)').argParser(
        intIn(0, 86_400),
      ),
    )
    .option(
      '--paste-redirect-uri <url>',
      'redirect URI for the paste flow (default http://127.0.0.1/callback)',
    )
    .addOption(
      new Option(
        '--loopback-port <port>',
        'fixed port of the loopback flow, for servers that match redirect URIs exactly',
      ).argParser(intIn(1, 65_535)),
    )
    .action((name: string, opts: ProfileAddOptions) => run({ action: 'add', name, opts }))

  profile
    .command('list')
    .description('list profile names, one per line')
    .addOption(jsonOption())
    .action((opts: { json?: boolean }) => run({ action: 'list', json: opts.json === true }))

  profile
    .command('show <name>')
    .description("print a profile's settings as JSON")
    .action((name: string) => run({ action: 'show', name }))

  profile
    .command('remove <name>')
    .description('remove a profile and its stored credential (kept as a 0600 backup)')
    .action((name: string) => run({ action: 'remove', name }))

  return profile
}
