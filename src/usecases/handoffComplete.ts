import type { Deps } from '../deps.js'
import { AuthkeepError, CancelledError, ExitCode, UsageError } from '../errors.js'
import { catchRedirect } from '../handoff/laptopBrowser.js'
import { decodeRequest } from '../oauth/handoffBlob.js'
import { PasteError, parsePasted } from '../oauth/pastedInput.js'
import { type Config, loadConfig } from '../profiles/configFile.js'
import { isLoopbackHost, PROFILE_NAME } from '../profiles/profile.js'
import { quoteInput } from '../validation.js'

/**
 * The laptop's half of `login --method handoff`: shows the remote's authorize URL in a browser here
 * and prints code#state for the person to paste back there. Nothing is stored on this machine, and
 * the code is useless without the verifier the remote kept.
 */
export async function completeHandoff(
  deps: Deps,
  blob: string,
  opts: { paste: boolean; timeoutSeconds: number },
): Promise<void> {
  const { io } = deps
  const req = decodeRequest(blob)
  const url = new URL(req.url)
  assertProfileUrl(await loadConfig(deps.paths), req.profile, url)
  const state = url.searchParams.get('state') as string
  const redirect = new URL(url.searchParams.get('redirect_uri') ?? 'invalid:')
  const canListen = redirect.protocol === 'http:' && isLoopbackHost(redirect.hostname) && redirect.port !== ''
  const signal = AbortSignal.timeout(opts.timeoutSeconds * 1000)
  const again = `authkeep login --complete-handoff ${blob}`
  let returned: { code: string; state: string | undefined }
  try {
    if (opts.paste || !canListen) {
      io.err(
        `\nOpen this URL in a browser and approve (profile "${req.profile}"):\n\n  ${url.href}\n\nThen paste the address the browser ended on (or the code it shows).\n`,
      )
      try {
        returned = parsePasted(await deps.prompter.line('Paste the URL or code: ', signal))
      } catch (err) {
        if (err instanceof PasteError)
          throw new AuthkeepError(err.message, { exitCode: ExitCode.usage, next: again })
        throw err
      }
    } else {
      const listener = await catchRedirect(redirect, state, signal, (why) => io.err(`authkeep: ${why}\n`))
      try {
        await listener.ready
        io.err(`\nOpen this URL in a browser and approve (profile "${req.profile}"):\n\n  ${url.href}\n\n`)
        if (deps.env.display && !(await deps.browser.open(url.href)))
          io.err('Could not start a browser; open the URL yourself.\n')
        io.err(`Waiting for the browser to come back to ${redirect.href} …\n`)
        const back = await listener.callback
        const error = back.searchParams.get('error')
        if (error) throw new AuthkeepError(`the browser came back with an error: ${error}`, { next: again })
        returned = {
          code: back.searchParams.get('code') ?? '',
          state: back.searchParams.get('state') ?? undefined,
        }
      } finally {
        listener.close()
      }
    }
  } catch (err) {
    if (signal.aborted) throw new CancelledError(`no approval within ${opts.timeoutSeconds}s`, again)
    throw err
  }
  if (returned.state !== undefined && returned.state !== state) {
    throw new UsageError('what came back belongs to another login (its state differs)', again)
  }
  io.err('\nPaste this line on the remote machine, where `authkeep login --method handoff` waits:\n\n')
  io.out(`${returned.code}#${state}\n`)
}

/**
 * The blob is text from another machine: its URL must be this profile's own authorization endpoint and
 * client, as configured here, or the browser would be sent wherever whoever wrote the blob chose.
 */
function assertProfileUrl(config: Config, name: string, url: URL): void {
  const shown = quoteInput(name, 64)
  const profile = PROFILE_NAME.test(name) ? config.profiles.get(name) : undefined
  if (!profile)
    throw new UsageError(
      `the hand-off is for profile "${shown}", which this machine does not have; nothing was opened`,
      PROFILE_NAME.test(name)
        ? `authkeep profile add ${name} --issuer URL --client-id ID`
        : 'authkeep profile list',
    )
  const expected = profile.endpoints.authorization ? new URL(profile.endpoints.authorization) : undefined
  const sameEndpoint =
    expected !== undefined && expected.origin === url.origin && expected.pathname === url.pathname
  if (!sameEndpoint || url.searchParams.get('client_id') !== profile.clientId) {
    throw new UsageError(
      `the hand-off sends the browser to ${url.origin}${url.pathname}, which is not the authorization endpoint and client of profile "${name}" here (${expected ? expected.origin + expected.pathname : 'none configured'}); nothing was opened`,
      `authkeep profile show ${name}`,
    )
  }
}
