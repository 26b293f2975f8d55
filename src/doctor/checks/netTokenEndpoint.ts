import { type Check, finding } from '../finding.js'
import { directProbe } from './endpointProbe.js'
import { curlProbe } from './shell.js'

const STAGE = { dns: 'DNS lookup of', tcp: 'TCP connection to', tls: 'TLS handshake with', proxy: 'proxy' }

export const netTokenEndpoint: Check = {
  id: 'net.token_endpoint',
  title: 'the token endpoint answers: DNS, TCP and TLS (--online)',
  async run(ctx) {
    if (!ctx.online) return []
    const probe = await directProbe(ctx)
    if (probe.ok) return []
    return [
      finding(
        'net.token_endpoint',
        'error',
        `${STAGE[probe.stage]} ${probe.target} failed (${probe.detail}), for ${ctx.profile.endpoints.token}`,
        `no refresh can reach the server from here: the login ends when the access token expires${probe.stage === 'tls' ? ' (a TLS-inspecting proxy or firewall needs its CA in NODE_EXTRA_CA_CERTS)' : ''}; the fix command repeats the attempt with every detail`,
        curlProbe(ctx.profile.endpoints.token, true),
      ),
    ]
  },
}
