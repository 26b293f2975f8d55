import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as z from 'zod/mini'

// Codex sends its refresh before it takes any lock, so no outside lock can keep it from racing another
// refresher. Pointed here (CODEX_REFRESH_TOKEN_URL_OVERRIDE), its refresh becomes a question to authkeep,
// which answers under its own lock: one refresh reaches the server, however many ask at once.

/** Codex's refresh body (JSON): the fields read; any others (`refresh_reason`) are allowed. */
const refreshBody = z.looseObject({
  grant_type: z.literal('refresh_token'),
  refresh_token: z.string().check(z.minLength(1), z.maxLength(8192)),
  client_id: z.optional(z.string()),
})

const MAX_BODY = 64 * 1024

export interface RelayTokens {
  id_token?: string | undefined
  access_token: string
  refresh_token: string
}

/** Why an answer could not be given, in Codex's own terms: it words its message after `code`. */
export class RelayRefusal extends Error {
  constructor(
    readonly status: 401 | 502,
    readonly code: 'refresh_token_invalidated' | 'upstream_unavailable',
    message: string,
  ) {
    super(message)
  }
}

export interface RefreshRelay {
  /** What to put in CODEX_REFRESH_TOKEN_URL_OVERRIDE; its random path is the relay's only key. */
  url: string
  close(): Promise<void>
}

/**
 * A token endpoint on 127.0.0.1 that answers Codex's refreshes with `answer`, one at a time, on a path
 * nobody can guess: only a process given the URL (in its environment, readable by its own user alone)
 * can ask. A client that is not asking for a refresh with its client id is refused as a server would.
 */
export async function serveCodexRefreshRelay(opts: {
  clientId: string
  answer(presentedRefreshToken: string): Promise<RelayTokens>
}): Promise<RefreshRelay> {
  const path = `/${randomBytes(18).toString('base64url')}/oauth/token`
  let queue: Promise<unknown> = Promise.resolve()
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== path) return send(res, 404, { error: 'not_found' })
    void readBody(req).then(async (text) => {
      const parsed = text === undefined ? undefined : refreshBody.safeParse(parseJson(text))
      if (!parsed?.success) return send(res, 400, { error: 'invalid_request' })
      const { refresh_token, client_id } = parsed.data
      if (client_id !== undefined && client_id !== opts.clientId) {
        return send(res, 401, { error: 'invalid_client' })
      }
      const turn = queue.then(() => opts.answer(refresh_token))
      queue = turn.catch(() => undefined)
      try {
        send(res, 200, await turn)
      } catch (err) {
        const refusal =
          err instanceof RelayRefusal
            ? err
            : new RelayRefusal(502, 'upstream_unavailable', 'authkeep could not refresh the login just now')
        send(res, refusal.status, {
          error: { message: refusal.message, type: 'invalid_request_error', param: null, code: refusal.code },
        })
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The request body, or undefined when it is larger than any refresh request. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) {
        req.destroy()
        return resolve(undefined)
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', () => resolve(undefined))
  })
}
