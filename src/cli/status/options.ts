export interface StatusOptions {
  profile?: string
  json?: boolean
}
