import type { Server } from 'node:http'

const page = (title: string, body: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><h1>${title}</h1><p>${body}</p>`

export interface CallbackOptions {
  /** The redirect URI the authorization request named; other paths get a 404. */
  redirectUri: string
  /** The state this login sent: a callback without it is refused and the wait goes on. */
  state: string
  /** What the browser shows once this login's callback arrived. */
  done: { title: string; body: string }
  /** Told about each refused callback, so the person at the terminal knows one came. */
  onRefused(why: string): void
  signal?: AbortSignal | undefined
}

/**
 * The first callback carrying this login's state, from a loopback listener (RFC 8252). One with another
 * state, or none, may be someone else's login forced on this one (CSRF): it is refused, and the listener
 * keeps waiting for the right one until the caller's signal ends the wait. After that, every request is
 * answered 410.
 */
export function awaitCallback(server: Server, opts: CallbackOptions): Promise<URL> {
  return new Promise<URL>((resolve, reject) => {
    let settled = false
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', opts.redirectUri)
      if (url.pathname !== new URL(opts.redirectUri).pathname) return void res.writeHead(404).end()
      if (settled) return void res.writeHead(410).end()
      const headers = { 'content-type': 'text/html; charset=utf-8', connection: 'close' }
      if (url.searchParams.get('state') !== opts.state) {
        res.writeHead(400, headers)
        res.end(page('Refused', 'This answer does not belong to the sign-in in progress; nothing was done.'))
        opts.onRefused(
          'refused a callback whose state does not belong to this login (possible CSRF); still waiting for the right one',
        )
        return
      }
      settled = true
      const ok = url.searchParams.has('code')
      res.writeHead(ok ? 200 : 400, headers)
      res.end(
        ok ? page(opts.done.title, opts.done.body) : page('Sign-in failed', 'See the terminal for details.'),
      )
      resolve(url)
    })
    opts.signal?.addEventListener('abort', () => reject(opts.signal?.reason), { once: true })
  })
}
