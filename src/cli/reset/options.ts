import type { LoginFlowOptions } from '../login/options.js'

export type ResetOptions = LoginFlowOptions
