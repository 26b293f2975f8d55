// Runs the fake API as its own process, so it can live inside the network namespace next to the
// CLI. It is that namespace's first process: when it exits, the namespace goes with it.
// Usage: fakeApiMain.ts '{"logFile":…,"behaviourFile":…,"tlsKeyFile":…,"tlsCertFile":…}'
// Prints {"port":N} on stdout once listening; stops on SIGTERM, SIGINT or end of stdin.
import { readFileSync } from 'node:fs'
import { startFakeApi } from './fakeApi.js'

interface MainOptions {
  logFile: string
  behaviourFile?: string
  tlsKeyFile?: string
  tlsCertFile?: string
  port?: number
}

const opts = JSON.parse(process.argv[2] ?? '{}') as MainOptions
if (!opts.logFile) throw new Error('fakeApiMain: logFile is required')
const tls =
  opts.tlsKeyFile && opts.tlsCertFile
    ? { key: readFileSync(opts.tlsKeyFile, 'utf8'), cert: readFileSync(opts.tlsCertFile, 'utf8') }
    : undefined
const api = await startFakeApi({
  logFile: opts.logFile,
  behaviourFile: opts.behaviourFile,
  tls,
  port: opts.port,
})
process.stdout.write(`${JSON.stringify({ port: api.port })}\n`)

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  // Bounded: a connection that will not close must not keep the namespace alive.
  setTimeout(() => process.exit(0), 2_000).unref()
  api.close().then(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
// The parent holds our stdin open; if it dies without cleaning up, we (and the namespace) follow.
process.stdin.on('end', stop)
process.stdin.on('error', stop)
process.stdin.resume()
