// Runs the fake OpenAI server as its own process, the first of a loopback-only network namespace, so
// the real Codex CLI and authkeep can both reach it there. Usage: fakeOpenAiMain.ts '{"logFile":…}'
// Prints {"port":N} once listening; stops on SIGTERM, SIGINT or end of stdin.
import { serveUntilStopped } from '../fakeMain.js'
import { startFakeOpenAi } from './fakeOpenAi.js'

const opts = JSON.parse(process.argv[2] ?? '{}') as { logFile: string; behaviourFile?: string }
if (!opts.logFile) throw new Error('fakeOpenAiMain: logFile is required')
serveUntilStopped(await startFakeOpenAi(opts))
