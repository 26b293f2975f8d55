import type { StorePreference } from '../../profiles/profile.js'

export interface ProfileAddOptions {
  issuer?: string
  authorizationEndpoint?: string
  tokenEndpoint?: string
  deviceAuthorizationEndpoint?: string
  revocationEndpoint?: string
  clientId: string
  scope?: string
  allowInsecureHttp?: boolean
  store?: StorePreference
  refreshMargin?: number
  pasteRedirectUri?: string
  loopbackPort?: number
  /** true; a string only when someone put a secret on the command line, which is refused. */
  clientSecret?: boolean | string
}

export type ProfileAction =
  | { action: 'add'; name: string; opts: ProfileAddOptions }
  | { action: 'list'; json: boolean }
  | { action: 'show'; name: string }
  | { action: 'remove'; name: string }
