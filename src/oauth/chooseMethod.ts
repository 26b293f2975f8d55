import { UsageError } from '../errors.js'
import type { Environment } from '../ports/environment.js'
import type { Profile } from '../profiles/profile.js'

export const LOGIN_METHODS = ['auto', 'device', 'loopback', 'paste', 'handoff'] as const
export type RequestedMethod = (typeof LOGIN_METHODS)[number]
export type LoginMethod = Exclude<RequestedMethod, 'auto'>

export interface MethodChoice {
  method: LoginMethod
  reason: string
  /** What `auto` falls back to when the server turns the first choice down. */
  fallback: LoginMethod | undefined
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/** What stops a flow: a missing endpoint, or a grant type the server's metadata leaves out. */
function obstacle(profile: Profile, method: LoginMethod): string | undefined {
  const device = method === 'device'
  if (device && !profile.endpoints.deviceAuthorization) return 'has no device_authorization_endpoint'
  if (!device && !profile.endpoints.authorization) return 'has no authorization_endpoint'
  const grants = profile.metadata.grantTypes
  const grant = device ? DEVICE_GRANT : 'authorization_code'
  // Many servers publish no list, or an incomplete one without the device grant they do serve.
  if (grants && !grants.includes(grant)) return `lists no ${grant} in grant_types_supported`
  return undefined
}

function assertPossible(profile: Profile, method: LoginMethod): void {
  const why = obstacle(profile, method)
  if (why) {
    throw new UsageError(
      `profile "${profile.name}" ${why}, so the ${method} flow cannot be used`,
      `authkeep login --profile ${profile.name} --method ${method === 'device' ? 'paste' : 'device'}`,
    )
  }
}

/** Picks how to sign in from where we run: CI cannot, SSH/headless prefers the device flow, a desktop the browser. */
export function chooseMethod(env: Environment, profile: Profile, requested: RequestedMethod): MethodChoice {
  if (requested !== 'auto') {
    assertPossible(profile, requested)
    return { method: requested, reason: 'as requested with --method', fallback: undefined }
  }
  if (env.ci || !env.interactive) {
    throw new UsageError(
      `no person can answer a login here (${env.ci ? 'CI' : 'no terminal'}); log in once from a terminal, or pipe the pasted code`,
      `authkeep login --profile ${profile.name} --method paste < pasted-url.txt`,
    )
  }
  const hasDevice = !obstacle(profile, 'device')
  const hasCode = !obstacle(profile, 'paste')
  const headless = env.ssh || !env.display
  const where = env.ssh ? 'an SSH session' : 'no display'
  if (headless && hasDevice) {
    return {
      method: 'device',
      reason: `${where}, and the server offers the device flow`,
      fallback: hasCode ? 'paste' : undefined,
    }
  }
  if (headless && hasCode)
    return { method: 'paste', reason: `${where}, and the server has no device flow`, fallback: undefined }
  if (hasCode) {
    return {
      method: 'loopback',
      reason: 'a desktop session with a browser',
      fallback: hasDevice ? 'device' : 'paste',
    }
  }
  if (hasDevice)
    return { method: 'device', reason: 'the server offers only the device flow', fallback: undefined }
  throw new UsageError(
    `profile "${profile.name}" has neither an authorization nor a device authorization endpoint`,
    `authkeep profile show ${profile.name}`,
  )
}
