export interface BackupsOptions {
  profile?: string
  json?: boolean
}
