import type { LoginFlowOptions } from '../login/options.js'

export type AccountAction =
  | { action: 'add'; name: string; opts: LoginFlowOptions }
  | { action: 'list'; opts: { profile?: string; json?: boolean } }
  | { action: 'remove'; name: string; opts: { profile?: string } }
