// Runs the fake OpenAI server as its own process, the first of a loopback-only network namespace, so
// the real Codex CLI and authkeep can both reach it there. Usage: fakeOpenAiMain.ts '{"logFile":…}'
// Prints {"port":N} once listening; stops on SIGTERM, SIGINT or end of stdin.
import { startFakeOpenAi } from './fakeOpenAi.js'

const opts = JSON.parse(process.argv[2] ?? '{}') as { logFile: string; behaviourFile?: string }
if (!opts.logFile) throw new Error('fakeOpenAiMain: logFile is required')
const api = await startFakeOpenAi(opts)
process.stdout.write(`${JSON.stringify({ port: api.port })}\n`)

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  setTimeout(() => process.exit(0), 2_000).unref()
  api.close().then(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.on('error', stop)
process.stdin.resume()
