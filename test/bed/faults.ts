import type { IncomingMessage, ServerResponse } from 'node:http'

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: number; body?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' }
  | { kind: 'resetMidBody' }
  | { kind: 'slowBody'; ms: number }
  | { kind: 'malformed' }
  | { kind: 'missingFields' }
  // The provider's real 200 answer (a rotated refresh token), held back until `release` settles.
  | { kind: 'held'; release: Promise<unknown> }
  // The provider's real 200 answer, rewritten before it leaves: odd lifetimes, a body cut short.
  | { kind: 'rewrite'; edit: (body: string) => string }

export interface FaultRule {
  fault: Fault
  path?: string
  times?: number
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

// Timers the server must cancel on close, so a pending delay cannot keep the process alive.
export type TimerSet = Set<NodeJS.Timeout>

function later(timers: TimerSet, ms: number, fn: () => void): void {
  const t = setTimeout(() => {
    timers.delete(t)
    fn()
  }, ms)
  timers.add(t)
}

// Reading the request first makes the close a clean FIN: with unread bytes in its receive
// buffer the kernel sends RST, and the client may then drop what it had already received.
function drained(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.readableEnded) return resolve()
    req.on('end', resolve)
    req.on('error', () => resolve())
    req.on('close', () => resolve())
    req.resume()
  })
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  let type = 'text/plain; charset=utf-8'
  try {
    JSON.parse(body)
    type = 'application/json; charset=utf-8'
  } catch {}
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers })
  res.end(body)
}

// Faults other than delay, slowBody, held and rewrite answer by themselves and never reach the provider, so
// no grant is consumed: a retry with the same refresh token still works, as after a real blip.
export function serveFault(
  fault: Fault,
  req: IncomingMessage,
  res: ServerResponse,
  pass: Handler,
  timers: TimerSet,
): void {
  switch (fault.kind) {
    case 'delay':
      later(timers, fault.ms, () => pass(req, res))
      return
    case 'slowBody':
      holdBody(res, (body, end) => dribble(res, body, fault.ms, timers, end))
      pass(req, res)
      return
    case 'held':
      holdBody(res, (body, end) => {
        if (res.statusCode !== 200) return end(body)
        void fault.release.finally(() => end(body))
      })
      pass(req, res)
      return
    case 'rewrite':
      holdBody(res, (body, end) => {
        if (res.statusCode !== 200) return end(body)
        const out = Buffer.from(fault.edit(body.toString('utf8')))
        res.setHeader('content-length', out.length)
        end(out)
      })
      pass(req, res)
      return
    default:
      void drained(req).then(() => answer(fault, res))
  }
}

function answer(fault: Fault, res: ServerResponse): void {
  switch (fault.kind) {
    case 'status': {
      const headers: Record<string, string> = {}
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter)
      send(res, fault.status, fault.body ?? `injected fault: HTTP ${fault.status}`, headers)
      return
    }
    case 'reset':
      res.socket?.destroy()
      return
    case 'resetMidBody': {
      const full = JSON.stringify({ access_token: 'x'.repeat(64), token_type: 'Bearer', expires_in: 60 })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length) })
      res.write(full.slice(0, full.length >> 1), () => res.socket?.destroy())
      return
    }
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end('{"access_token": "abc", "token_type": ')
      return
    case 'missingFields':
      send(res, 200, '{}')
      return
    default:
      return
  }
}

// Intercepts the provider's response body. Koa sets every header and then calls res.end(body)
// once, so nothing has gone out yet when `onBody` runs and it may still change headers.
export function holdBody(
  res: ServerResponse,
  onBody: (body: Buffer, end: (body: Buffer) => void) => void,
): void {
  const write = res.write.bind(res)
  const end = res.end.bind(res)
  const chunks: Buffer[] = []
  const keep = (chunk: unknown) => {
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk))
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk))
  }
  res.write = ((chunk: unknown) => {
    keep(chunk)
    return true
  }) as ServerResponse['write']
  res.end = ((chunk?: unknown) => {
    keep(chunk)
    res.write = write
    res.end = end
    onBody(Buffer.concat(chunks), (body) => end(body))
    return res
  }) as ServerResponse['end']
}

// Headers go out at once; the body follows in pieces spread evenly over `ms`.
function dribble(res: ServerResponse, body: Buffer, ms: number, timers: TimerSet, end: (b: Buffer) => void) {
  const pieces = Math.max(1, Math.min(10, body.length))
  const size = Math.ceil(body.length / pieces)
  let i = 0
  const next = () => {
    const piece = body.subarray(i * size, (i + 1) * size)
    i += 1
    if (i >= pieces) return end(piece)
    res.write(piece)
    later(timers, ms / pieces, next)
  }
  res.flushHeaders()
  later(timers, ms / pieces, next)
}
