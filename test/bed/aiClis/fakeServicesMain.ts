// Runs the fake services as the first process of a loopback-only network namespace (see ../claude/netns.ts).
// Usage: fakeServicesMain.ts '{"logFile":…}'. Prints {"port":N} once listening; stops on SIGTERM or end of stdin.
import { readFileSync } from 'node:fs'
import { startFakeServices } from './fakeServices.js'

const opts = JSON.parse(process.argv[2] ?? '{}') as {
  logFile?: string
  tlsKeyFile?: string
  tlsCertFile?: string
}
if (!opts.logFile) throw new Error('fakeServicesMain: logFile is required')
const tls =
  opts.tlsKeyFile && opts.tlsCertFile
    ? { key: readFileSync(opts.tlsKeyFile, 'utf8'), cert: readFileSync(opts.tlsCertFile, 'utf8') }
    : undefined
const services = await startFakeServices({ logFile: opts.logFile, tls })
process.stdout.write(`${JSON.stringify({ port: services.port })}\n`)

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  setTimeout(() => process.exit(0), 2_000).unref()
  services.close().then(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.on('error', stop)
process.stdin.resume()
