// oidc-provider announces its dev-only defaults (memory adapter, dev keys, devInteractions,
// Node 20) on the console at import and on first use. In tests that is noise that hides real
// output, so those lines, and only those, are dropped for the whole test process.
const marker = Symbol.for('authkeep.test.quietOidc')
// Matched anywhere, because the prefix is wrapped in colour codes when the stream is a TTY.
const noisy = ['oidc-provider WARNING:', 'oidc-provider NOTICE:']

export function quietOidcProvider(): void {
  const g = globalThis as { [marker]?: boolean }
  if (g[marker]) return
  g[marker] = true
  for (const name of ['warn', 'info', 'log'] as const) {
    const original = console[name].bind(console)
    console[name] = (...args: unknown[]) => {
      const first = args[0]
      if (typeof first === 'string' && noisy.some((n) => first.includes(n))) return
      original(...args)
    }
  }
}
