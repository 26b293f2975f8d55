const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i

/** A URL fit to print: user and password replaced, since proxy and gateway URLs often carry them. */
export function maskUrl(value: string): string {
  if (SCHEME.test(value)) {
    try {
      const u = new URL(value)
      const auth = u.username || u.password ? '***@' : ''
      const path = u.pathname === '/' ? '' : u.pathname
      return `${u.protocol}//${auth}${u.host}${path}`
    } catch {}
  }
  // `user:pass@host:port` without a scheme (curl takes it) would parse as scheme `user:`: cut by hand.
  return value.replace(
    /^([a-z][a-z0-9+.-]*:\/\/)?[^/]*@/i,
    (_m, scheme: string | undefined) => `${scheme ?? ''}***@`,
  )
}

/** A proxy variable's value as clients read it: without a scheme it means http://. */
export const withScheme = (value: string) => (SCHEME.test(value) ? value : `http://${value}`)
