export interface TokenOptions {
  profile?: string
}
