import type { RequestedMethod } from '../../oauth/chooseMethod.js'
import type { StorePreference } from '../../profiles/profile.js'

/** How to sign in: shared by `login` and `reset`, which ends in a login. */
export interface LoginFlowOptions {
  profile?: string
  method: RequestedMethod
  port?: number
  timeout: number
}

export interface LoginOptions extends LoginFlowOptions {
  store?: StorePreference
  longLived?: boolean
  /** Hand-off: log in here for another machine and deliver it there over ssh. */
  for?: string
  /** Hand-off, laptop side of `--method handoff`: the line the remote printed. */
  completeHandoff?: string
  /** Hand-off, remote side of `--for`: the payload arrives on stdin (not for people). */
  receive?: boolean
}
