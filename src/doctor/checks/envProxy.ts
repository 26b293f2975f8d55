import { type Check, finding } from '../finding.js'
import { directProbe, hostOf, probeViaProxy } from './endpointProbe.js'
import { proxyFor, proxyVars } from './proxyEnv.js'
import { curlProbe, sh } from './shell.js'
import { maskUrl, withScheme } from './urls.js'

export const envProxy: Check = {
  id: 'env.proxy',
  title: 'which proxy the token refresh goes through',
  async run(ctx) {
    const vars = proxyVars(ctx.env)
    if (vars.length === 0) return []
    // Lower case first, as in proxyFor: a fix must change the spelling clients actually read.
    const noProxyName = ctx.env.no_proxy !== undefined ? 'no_proxy' : 'NO_PROXY'
    const noProxy = ctx.env[noProxyName]
    const token = new URL(ctx.profile.endpoints.token)
    const used = proxyFor(token, ctx.env)
    const found = `${vars.map((v) => `${v.name}=${maskUrl(v.value)}`).join(', ')}; ${noProxy ? `${noProxyName}=${noProxy}` : 'NO_PROXY is not set'}`
    const own = `authkeep's own refresh follows the same variables (HTTPS_PROXY/HTTP_PROXY/NO_PROXY)`
    if (ctx.profile.kind !== 'claude-code') return [finding('env.proxy', 'info', found, own, null)]
    const route = used
      ? `Claude Code sends its token refresh to ${token.host} through ${used.name}`
      : `${token.host} is in ${noProxyName}, so Claude Code reaches it directly`
    const why = `${route}; a proxy that refuses CONNECT or inspects TLS (then NODE_EXTRA_CA_CERTS must name its CA) breaks the refresh. ${own}`
    const info = (more = '') => [finding('env.proxy', 'info', `${found}${more}`, why, null)]
    if (!ctx.online || !used) return info()
    const proxy = withScheme(used.value)
    // A SOCKS proxy is reported, not tried.
    if (!/^https?:\/\//i.test(proxy)) return info()
    const probe = await probeViaProxy(token.href, proxy).catch((err: Error) => ({
      ok: false as const,
      stage: 'proxy' as const,
      target: used.name,
      detail: err.message,
    }))
    if (probe.ok) return info('; the token endpoint answers through it')
    const direct = (await directProbe(ctx)).ok
    const host = hostOf(token)
    return [
      finding(
        'env.proxy',
        'warning',
        `${found}; the token endpoint cannot be reached through ${used.name} (${probe.stage === 'tls' ? 'TLS handshake' : 'proxy'} ${probe.target}: ${probe.detail})`,
        `${route}, so its next refresh fails and the login ends at the access token's expiry${direct ? '; the endpoint is reachable directly' : ''}`,
        direct
          ? `export ${noProxyName}=${sh(noProxy ? `${noProxy},${host}` : host)}`
          : curlProbe(token.href, false),
      ),
    ]
  },
}
