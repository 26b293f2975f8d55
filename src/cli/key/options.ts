export interface KeySetOptions {
  profile?: string
  kind?: 'api-key' | 'oauth-token'
  store?: 'auto' | 'file' | 'keyring'
}

export type KeyAction =
  | { action: 'set'; opts: KeySetOptions }
  | { action: 'remove'; opts: { profile?: string } }
