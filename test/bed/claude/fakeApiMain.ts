// Runs the fake API as its own process, so it can live inside the network namespace next to the
// CLI. It is that namespace's first process: when it exits, the namespace goes with it.
// Usage: fakeApiMain.ts '{"logFile":…,"behaviourFile":…,"tlsKeyFile":…,"tlsCertFile":…}'
// Prints {"port":N} on stdout once listening; stops on SIGTERM, SIGINT or end of stdin.
import { serveUntilStopped, tlsFiles } from '../fakeMain.js'
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
serveUntilStopped(
  await startFakeApi({
    logFile: opts.logFile,
    behaviourFile: opts.behaviourFile,
    tls: tlsFiles(opts),
    port: opts.port,
  }),
)
