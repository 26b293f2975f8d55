export interface KeepaliveRunOptions {
  warnDays: number
  notifyCommand?: string
  once?: boolean
  backoffMin: number
  backoffMax: number
}

export interface KeepaliveStatusOptions {
  json?: boolean
}

export interface KeepaliveInstallOptions {
  notifyCommand?: string
  warnDays?: number
}
