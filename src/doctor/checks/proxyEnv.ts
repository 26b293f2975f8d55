import { hostOf, portOf } from './endpointProbe.js'

const NAMES = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY'] as const

export interface ProxyVar {
  name: string
  value: string
}

/** Every proxy variable that is set, in both spellings. */
export function proxyVars(env: NodeJS.ProcessEnv): ProxyVar[] {
  return NAMES.flatMap((n) => [n.toLowerCase(), n])
    .filter((n) => env[n])
    .map((name) => ({ name, value: env[name] as string }))
}

const noProxyOf = (env: NodeJS.ProcessEnv) => env.no_proxy ?? env.NO_PROXY

/** NO_PROXY as curl and most clients read it: `*`, exact hosts, domain suffixes, optional :port. */
export function bypassed(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false
  const host = hostOf(url).toLowerCase()
  const port = portOf(url)
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((raw) => {
      const entry = raw.toLowerCase()
      if (entry === '*') return true
      const [name, entryPort] = splitPort(entry)
      if (entryPort !== undefined && entryPort !== port) return false
      const bare = name.replace(/^\*?\./, '')
      return host === bare || host.endsWith(`.${bare}`)
    })
}

/** `host:port`, `[v6]:port`; a bare IPv6 address has colons but no port. */
function splitPort(entry: string): [string, number | undefined] {
  const v6 = /^\[(.*)\](?::(\d+))?$/.exec(entry)
  if (v6) return [v6[1] ?? '', v6[2] ? Number(v6[2]) : undefined]
  const m = /^([^:]*):(\d+)$/.exec(entry)
  return m ? [m[1] ?? '', Number(m[2])] : [entry, undefined]
}

/** The proxy a client uses for `url`, lower case first as curl does; undefined when none or bypassed. */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv): ProxyVar | undefined {
  if (bypassed(url, noProxyOf(env))) return undefined
  const scheme = url.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY'
  for (const name of [scheme.toLowerCase(), scheme, 'all_proxy', 'ALL_PROXY']) {
    const value = env[name]
    if (value) return { name, value }
  }
  return undefined
}
