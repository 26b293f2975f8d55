import { type Check, finding } from '../finding.js'
import { directProbe } from './endpointProbe.js'

const LIMIT_S = 60

/** The server's clock, from the Date header of a HEAD to the token endpoint. */
async function serverDate(url: string): Promise<{ server: number; rtt: number } | undefined> {
  const started = performance.now()
  try {
    const res = await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(5_000) })
    const date = Date.parse(res.headers.get('date') ?? '')
    return Number.isFinite(date) ? { server: date, rtt: performance.now() - started } : undefined
  } catch {
    return undefined
  }
}

export const clockSkew: Check = {
  id: 'clock.skew',
  title: "the clock agrees with the token endpoint's (--online)",
  async run(ctx) {
    if (!ctx.online || !(await directProbe(ctx)).ok) return []
    const sample = await serverDate(ctx.profile.endpoints.token)
    if (!sample) return []
    // The header has 1 s resolution and was stamped somewhere within the round trip.
    const skew = (ctx.now.getTime() - sample.server) / 1000
    if (Math.abs(skew) <= LIMIT_S + sample.rtt / 1000) return []
    const by = Math.round(Math.abs(skew))
    return [
      finding(
        'clock.skew',
        'warning',
        `this machine's clock is ${by} s ${skew > 0 ? 'ahead of' : 'behind'} ${new URL(ctx.profile.endpoints.token).host} (server: ${new Date(sample.server).toISOString()}, here: ${ctx.now.toISOString()})`,
        'expiry times come from the server: a clock that is off makes Claude Code and authkeep send tokens the server already counts as expired (401), or refresh too early, and can fail TLS certificate checks',
        'sudo timedatectl set-ntp true',
      ),
    ]
  },
}
