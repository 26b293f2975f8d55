export interface RefreshOptions {
  profile?: string
  force?: boolean
}
