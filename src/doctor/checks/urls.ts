/** A URL fit to print: user and password replaced, since proxy and gateway URLs often carry them. */
export function maskUrl(value: string): string {
  try {
    const u = new URL(value)
    const auth = u.username || u.password ? '***@' : ''
    const path = u.pathname === '/' ? '' : u.pathname
    return `${u.protocol}//${auth}${u.host}${path}`
  } catch {
    return value.replace(/^([^/@]*\/\/)?[^/@]*@/, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`)
  }
}
