import { ExitCode, UsageError } from '../../errors.js'
import { printable } from '../../printable.js'
import { type AccountRow, addAccount, listAccounts, removeAccount } from '../../usecases/accounts.js'
import { unrevoked } from '../../usecases/logout.js'
import type { Run } from '../dispatch.js'
import { profileFor } from '../profileFor.js'
import type { AccountAction } from './options.js'

export const accountRun: Run<AccountAction> = async (deps, a) => {
  const profile = await profileFor(deps, a.opts.profile, `account ${a.action}`)
  if (a.action === 'add') {
    if (a.opts.port !== undefined && a.opts.method !== 'loopback') {
      throw new UsageError(
        '--port applies to --method loopback only',
        `authkeep account add ${a.name} --method loopback --port ${a.opts.port}`,
      )
    }
    await addAccount(deps, profile, a.name, {
      method: a.opts.method,
      port: a.opts.port,
      timeoutSeconds: a.opts.timeout,
      store: undefined,
    })
    return ExitCode.ok
  }
  if (a.action === 'remove') {
    const result = await removeAccount(deps, profile, a.name)
    const what =
      result.revoked === 'unread'
        ? unrevoked(`${profile.name}`, result)
        : {
            yes: 'revoked at the server',
            'no-endpoint': 'not revoked (the server has no revocation endpoint)',
            'no-token': 'nothing to revoke',
            failed: 'NOT revoked at the server',
          }[result.revoked]
    const backup = result.backup ? `; backup kept at ${result.backup}` : ''
    deps.io.err(`Removed account "${a.name}" of profile "${profile.name}": ${what}${backup}.\n`)
    return ExitCode.ok
  }
  const rows = await listAccounts(deps, profile)
  if (a.opts.json) deps.io.out(`${JSON.stringify({ profile: profile.name, accounts: rows }, null, 2)}\n`)
  else if (rows.length === 0)
    deps.io.err(`Profile "${profile.name}" has no accounts yet; add one with: authkeep account add NAME\n`)
  else deps.io.out(rows.map(line).join(''))
  return ExitCode.ok
}

function line(r: AccountRow): string {
  const who = [r.identity.email, r.identity.organization, r.identity.subscription]
    .filter((v): v is string => v !== undefined)
    .map((v) => printable(v, 100))
  const shown =
    who.length > 0
      ? who.join(', ')
      : r.identity.subject
        ? `subject ${printable(r.identity.subject, 100)}`
        : 'identity not told'
  const fix = r.next && (r.state === 'login_required' || r.state === 'logged_out') ? `; run: ${r.next}` : ''
  return `${r.active ? '*' : ' '} ${r.account}  ${shown}  ${r.state}${fix}\n`
}
