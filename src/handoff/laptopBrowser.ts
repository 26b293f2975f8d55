import { createServer } from 'node:http'
import { AuthkeepError } from '../errors.js'
import { awaitCallback } from '../oauth/loopbackCallback.js'

/** Listens on the loopback redirect the remote chose and resolves with the callback carrying `state`. */
export async function catchRedirect(
  redirectUri: URL,
  state: string,
  signal: AbortSignal,
  onRefused: (why: string) => void,
): Promise<{
  ready: Promise<void>
  callback: Promise<URL>
  close(): void
}> {
  const server = createServer()
  const close = () => {
    server.close()
    server.closeAllConnections()
  }
  const ready = new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new AuthkeepError(
              `port ${redirectUri.port} on 127.0.0.1 is in use here, so the browser cannot come back`,
              {
                next: 'authkeep login --complete-handoff BLOB --method paste',
              },
            )
          : err,
      ),
    )
    server.listen(Number(redirectUri.port), '127.0.0.1', resolve)
  })
  const callback = awaitCallback(server, {
    redirectUri: redirectUri.href,
    state,
    done: {
      title: 'Approved',
      body: 'Go back to the terminal: paste the line it printed on the remote machine.',
    },
    onRefused,
    signal,
  })
  return { ready, callback, close }
}
