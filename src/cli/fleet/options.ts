// What each `fleet` subcommand's flags parse to: shared by command.ts (parsing) and run.ts (running).

export interface FleetInitOptions {
  endpoints: string
  name: string
  ca?: string
  cert?: string
  key?: string
  prefix?: string
  profile: string[]
  create?: boolean
}
export interface FleetPushOptions {
  profile: string
}
export interface FleetRefresherOptions {
  once?: boolean
  printUnit?: boolean
  notifyCommand?: string
  json?: boolean
  concurrency: number
  leaseTtl: number
  grace: number
  scanInterval: number
  httpTimeout: number
}
export interface FleetHostAddOptions {
  publicKey: string
  refresher?: boolean
  profile: string[]
}
export interface FleetJsonOptions {
  json?: boolean
}
