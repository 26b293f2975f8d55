import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as oidc from 'openid-client'
import { AuthkeepError } from '../errors.js'
import type { Browser } from '../ports/browser.js'
import type { Environment } from '../ports/environment.js'
import type { Io } from '../ports/io.js'
import type { Profile } from '../profiles/profile.js'
import { authorizationRequest, clientConfig, codeGrantChecks } from './client.js'
import { awaitCallback } from './loopbackCallback.js'

/** The command a laptop runs so its browser can reach this machine's loopback listener. */
export function sshForwardHint(env: Environment, port: number): string {
  const server = env.sshServer
  const target = server ? `${env.user}@${server.host}` : `${env.user}@THIS_HOST`
  const portFlag = server && server.port !== 22 ? ` -p ${server.port}` : ''
  return `ssh -L ${port}:127.0.0.1:${port}${portFlag} ${target}`
}

/**
 * RFC 8252 loopback redirect: a listener on 127.0.0.1 only, taken down after this login's callback.
 * The browser is opened only once the listener is ready, and only where one can be shown.
 */
export async function loopbackLogin(
  deps: { io: Io; browser: Browser; env: Environment },
  profile: Profile,
  opts: { port?: number | undefined; signal?: AbortSignal | undefined; tokenParams?: Record<string, string> },
): Promise<oidc.TokenEndpointResponse> {
  const { io, browser, env } = deps
  const config = clientConfig(profile)

  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new AuthkeepError(`port ${opts.port} on 127.0.0.1 is already in use`, {
              next: `authkeep login --profile ${profile.name} --method loopback --port 0`,
            })
          : err,
      ),
    )
    server.listen(opts.port ?? 0, '127.0.0.1', resolve)
  })
  const port = (server.address() as AddressInfo).port
  const redirectUri = loopbackRedirect(profile, port)
  const close = () => {
    server.close()
    server.closeAllConnections()
  }

  try {
    const request = await authorizationRequest(config, profile, redirectUri)
    const { url, state } = request
    const callback = awaitCallback(server, {
      redirectUri,
      state,
      done: { title: 'Signed in', body: 'You can close this tab and go back to the terminal.' },
      onRefused: (why) => io.err(`authkeep: ${why}\n`),
      signal: opts.signal,
    })

    io.err(`\nOpen this URL in a browser to sign in:\n\n  ${url.href}\n\n`)
    if (env.ssh && !env.display) {
      io.err(
        `The browser must reach 127.0.0.1:${port} on this machine. On your laptop, run:\n\n  ${sshForwardHint(env, port)}\n\nthen open the URL above in the laptop's browser.\n\n`,
      )
    } else if (env.display && !(await browser.open(url.href))) {
      io.err('Could not start a browser; open the URL yourself.\n')
    }
    io.err(`Waiting for the browser to come back to ${redirectUri} …\n`)
    const result = await callback
    close()
    return await oidc.authorizationCodeGrant(config, result, codeGrantChecks(request), opts.tokenParams)
  } finally {
    close()
  }
}

/** The profile's registered loopback redirect (Codex's localhost:1455/auth/callback) on the port listened on. */
function loopbackRedirect(profile: Profile, port: number): string {
  if (!profile.loopbackRedirectUri) return `http://127.0.0.1:${port}/callback`
  const url = new URL(profile.loopbackRedirectUri)
  url.port = String(port)
  return url.href
}
