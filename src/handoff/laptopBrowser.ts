import { createServer } from 'node:http'
import { AuthkeepError } from '../errors.js'

const page = (title: string, body: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><h1>${title}</h1><p>${body}</p>`

/** Listens on the loopback redirect the remote chose and resolves with the first callback URL. */
export async function catchRedirect(
  redirectUri: URL,
  signal: AbortSignal,
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
  const callback = new Promise<URL>((resolve, reject) => {
    server.on('request', (req, res) => {
      const u = new URL(req.url ?? '/', redirectUri)
      if (u.pathname !== redirectUri.pathname) {
        res.writeHead(404).end()
        return
      }
      const ok = u.searchParams.has('code')
      res.writeHead(ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8', connection: 'close' })
      res.end(
        ok
          ? page('Approved', 'Go back to the terminal: paste the line it printed on the remote machine.')
          : page('Sign-in failed', 'See the terminal for details.'),
      )
      resolve(u)
    })
    signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
  return { ready, callback, close }
}
