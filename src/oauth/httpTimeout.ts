// The timeout of each request to the authorization server. A module of its own, with no imports, so
// the composition root can set it (AUTHKEEP_HTTP_TIMEOUT) without loading openid-client on the hot path.
let seconds = 30

export function setHttpTimeoutSeconds(value: number): void {
  seconds = value
}

export function httpTimeoutSeconds(): number {
  return seconds
}
