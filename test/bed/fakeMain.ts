// What every fake server's *Main.ts shares: it runs as the first process of a network namespace, so when
// it exits the namespace goes with it.
import { readFileSync } from 'node:fs'

/** The TLS key and certificate named in a *Main.ts's options, when both are. */
export function tlsFiles(o: { tlsKeyFile?: string; tlsCertFile?: string }) {
  return o.tlsKeyFile && o.tlsCertFile
    ? { key: readFileSync(o.tlsKeyFile, 'utf8'), cert: readFileSync(o.tlsCertFile, 'utf8') }
    : undefined
}

/** Prints {"port":N} on stdout, then serves until SIGTERM, SIGINT or the end of stdin. */
export function serveUntilStopped(server: { port: number; close(): Promise<unknown> }): void {
  process.stdout.write(`${JSON.stringify({ port: server.port })}\n`)
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    // Bounded: a connection that will not close must not keep the namespace alive.
    setTimeout(() => process.exit(0), 2_000).unref()
    server.close().then(() => process.exit(0))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  // The parent holds our stdin open; if it dies without cleaning up, we (and the namespace) follow.
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.stdin.resume()
}
