export interface LogoutOptions {
  profile?: string
}
