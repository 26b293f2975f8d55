import { type Check, finding } from '../finding.js'
import { directProbe, hostOf, probeViaProxy } from './endpointProbe.js'
import { noProxyOf, proxyFor, proxyVars } from './proxyEnv.js'
import { curlProbe, sh } from './shell.js'
import { maskUrl } from './urls.js'

export const envProxy: Check = {
  id: 'env.proxy',
  title: 'which proxy the token refresh goes through',
  async run(ctx) {
    const vars = proxyVars(ctx.env)
    if (vars.length === 0) return []
    const noProxy = noProxyOf(ctx.env)
    const token = new URL(ctx.profile.endpoints.token)
    const used = proxyFor(token, ctx.env)
    const found = `${vars.map((v) => `${v.name}=${maskUrl(v.value)}`).join(', ')}; ${noProxy ? `NO_PROXY=${noProxy}` : 'NO_PROXY is not set'}`
    const route = used
      ? `Claude Code sends its token refresh to ${token.host} through ${used.name}`
      : `${token.host} is in NO_PROXY, so Claude Code reaches it directly`
    // Node 20's fetch reads no proxy variables: authkeep's own refresh always goes direct.
    const why = `${route}; a proxy that refuses CONNECT or inspects TLS (then NODE_EXTRA_CA_CERTS must name its CA) breaks the refresh. authkeep's own refresh goes direct (Node's fetch ignores these variables)`
    if (!ctx.online || !used || !/^https?:$/.test(new URL(used.value, 'http://invalid').protocol)) {
      return [finding('env.proxy', 'info', found, why, null)]
    }
    const probe = await probeViaProxy(token.href, used.value).catch((err: Error) => ({
      ok: false as const,
      stage: 'proxy' as const,
      target: used.name,
      detail: err.message,
    }))
    if (probe.ok) {
      return [finding('env.proxy', 'info', `${found}; the token endpoint answers through it`, why, null)]
    }
    const viaDirect = (await directProbe(ctx)).ok
    const host = hostOf(token)
    return [
      finding(
        'env.proxy',
        'warning',
        `${found}; the token endpoint cannot be reached through ${used.name} (${probe.stage === 'tls' ? 'TLS handshake' : 'proxy'} ${probe.target}: ${probe.detail})`,
        `${route}, so its next refresh fails and the login ends at the access token's expiry${viaDirect ? '; the endpoint is reachable directly' : ''}`,
        viaDirect
          ? `export NO_PROXY=${sh(noProxy ? `${noProxy},${host}` : host)}`
          : curlProbe(token.href, false),
      ),
    ]
  },
}
