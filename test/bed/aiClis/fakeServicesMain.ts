// Runs the fake services as the first process of a loopback-only network namespace (see ../claude/netns.ts).
// Usage: fakeServicesMain.ts '{"logFile":…}'. Prints {"port":N} once listening; stops on SIGTERM or end of stdin.
import { serveUntilStopped, tlsFiles } from '../fakeMain.js'
import { startFakeServices } from './fakeServices.js'

const opts = JSON.parse(process.argv[2] ?? '{}') as {
  logFile?: string
  tlsKeyFile?: string
  tlsCertFile?: string
}
if (!opts.logFile) throw new Error('fakeServicesMain: logFile is required')
serveUntilStopped(await startFakeServices({ logFile: opts.logFile, tls: tlsFiles(opts) }))
