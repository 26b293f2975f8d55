import { lookup } from 'node:dns/promises'
import { request } from 'node:http'
import { isIP, type Socket, connect as tcpConnect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { DoctorContext } from '../finding.js'

export type Stage = 'dns' | 'tcp' | 'tls' | 'proxy'

export type Probe =
  | { ok: true; address: string }
  | { ok: false; stage: Stage; target: string; detail: string }

const TIMEOUT_MS = 4_000

const codeOf = (err: unknown) => {
  const e = err as NodeJS.ErrnoException
  return e.code ?? e.message ?? String(err)
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms / 1000} s (${what})`)), ms)
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

export const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '')
export const portOf = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80))

function tcp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port })
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error(`timeout after ${TIMEOUT_MS / 1000} s`)))
    socket.once('connect', () => {
      socket.setTimeout(0)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/** A TLS handshake over `socket`, checking the certificate as every client will (NODE_EXTRA_CA_CERTS applies). */
function tls(socket: Socket, servername: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ socket, ...(isIP(servername) ? {} : { servername }) })
    secure.setTimeout(TIMEOUT_MS, () => secure.destroy(new Error(`timeout after ${TIMEOUT_MS / 1000} s`)))
    secure.once('secureConnect', () => {
      secure.destroy()
      resolve()
    })
    secure.once('error', reject)
  })
}

/** DNS, then TCP, then (for https) TLS, straight to the endpoint's host: the path authkeep's own refresh takes. */
export async function probeDirect(endpoint: string): Promise<Probe> {
  const url = new URL(endpoint)
  const host = hostOf(url)
  const port = portOf(url)
  let address: string
  try {
    address = isIP(host) ? host : (await withTimeout(lookup(host), TIMEOUT_MS, 'DNS')).address
  } catch (err) {
    return { ok: false, stage: 'dns', target: host, detail: codeOf(err) }
  }
  let socket: Socket
  try {
    socket = await tcp(address, port)
  } catch (err) {
    return { ok: false, stage: 'tcp', target: `${address}:${port}`, detail: codeOf(err) }
  }
  if (url.protocol !== 'https:') {
    socket.destroy()
    return { ok: true, address }
  }
  try {
    await tls(socket, host)
  } catch (err) {
    return { ok: false, stage: 'tls', target: `${host}:${port}`, detail: codeOf(err) }
  } finally {
    socket.destroy()
  }
  return { ok: true, address }
}

const direct = new WeakMap<DoctorContext, Promise<Probe>>()

/** One direct probe per doctor run, shared by the checks that need to know the endpoint is reachable. */
export function directProbe(ctx: DoctorContext): Promise<Probe> {
  let p = direct.get(ctx)
  if (!p) {
    p = probeDirect(ctx.profile.endpoints.token)
    direct.set(ctx, p)
  }
  return p
}

/**
 * The endpoint through an HTTP proxy, as Claude Code reaches it: CONNECT and a TLS handshake for https,
 * a HEAD with the absolute URL for plain http. Resolves to the proxy's failure, or ok.
 */
export async function probeViaProxy(endpoint: string, proxy: string): Promise<Probe> {
  const url = new URL(endpoint)
  const p = new URL(proxy)
  const auth =
    p.username || p.password
      ? {
          'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}`,
        }
      : {}
  const target = `${hostOf(url)}:${portOf(url)}`
  const fail = (detail: string): Probe => ({ ok: false, stage: 'proxy', target: p.host, detail })
  return new Promise<Probe>((resolve) => {
    const https = url.protocol === 'https:'
    const req = request({
      host: hostOf(p),
      port: portOf(p),
      method: https ? 'CONNECT' : 'HEAD',
      path: https ? target : url.href,
      headers: { host: https ? target : url.host, ...auth },
      agent: false,
      timeout: TIMEOUT_MS,
    })
    req.once('timeout', () => req.destroy(new Error(`timeout after ${TIMEOUT_MS / 1000} s`)))
    req.once('error', (err) => resolve(fail(codeOf(err))))
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy()
        return resolve(fail(`CONNECT ${target} answered HTTP ${res.statusCode}`))
      }
      tls(socket, hostOf(url)).then(
        () => resolve({ ok: true, address: p.host }),
        (err) => resolve({ ok: false, stage: 'tls', target, detail: codeOf(err) }),
      )
    })
    req.once('response', (res) => {
      res.resume()
      // The proxy forwarded the request: any answer from the endpoint, even 405, means it is reachable.
      const own = res.statusCode === 407 || res.statusCode === 502 || res.statusCode === 503
      resolve(own ? fail(`answered HTTP ${res.statusCode}`) : { ok: true, address: p.host })
    })
    req.end()
  })
}
