import { resolve } from 'node:path'
import { type LogEntry, startAgentServer } from '../../agent/server.js'
import { clearStaleSocket, defaultSocketPath, prepareSocketDir } from '../../agent/socketPath.js'
import { ExitCode } from '../../errors.js'
import { STOP_SIGNALS, type StopSignal } from '../../ports/interrupts.js'
import { loadConfig, pickProfile } from '../../profiles/configFile.js'
import type { Profile } from '../../profiles/profile.js'
import { agentService, type Confirm } from '../../usecases/agentServe.js'
import type { Run } from '../dispatch.js'
import type { AgentOptions } from './options.js'

const CONFIRM_TIMEOUT_MS = 60_000

export const agentRun: Run<AgentOptions> = async (deps, opts) => {
  const config = await loadConfig(deps.paths)
  const names = opts.profile?.length ? opts.profile : [undefined]
  const served = new Map<string, Profile>()
  for (const name of names) {
    const profile = pickProfile(config, name, deps.processEnv, 'agent')
    served.set(profile.name, profile)
  }
  // The agent always serves from this machine's own store. An AUTHKEEP_AGENT_SOCK inherited from the
  // shell (perhaps this very agent's) would make it ask itself, or chain to another machine unnoticed.
  const { AUTHKEEP_AGENT_SOCK: _inherited, ...ownEnv } = deps.processEnv
  const local = { ...deps, processEnv: ownEnv }

  const socketPath = resolve(opts.socket ?? defaultSocketPath(deps.processEnv, deps.paths))
  await prepareSocketDir(socketPath, deps.uid)
  await clearStaleSocket(socketPath)

  const confirm: Confirm | undefined = opts.confirm
    ? async (question) => {
        try {
          const answer = await deps.prompter.line(question, AbortSignal.timeout(CONFIRM_TIMEOUT_MS))
          return /^y(es)?$/i.test(answer.trim())
        } catch {
          deps.io.err('(no answer: declined)\n')
          return false
        }
      }
    : undefined

  const log = (e: LogEntry) =>
    deps.io.err(
      `${e.time.toISOString()} profile=${e.profile ?? '-'} peer="${e.peer}"${e.host ? ` host="${e.host}"` : ''} ${e.result}\n`,
    )
  const server = await startAgentServer({
    socketPath,
    uid: deps.uid,
    handle: agentService(local, { served, confirm }),
    log,
  })
  deps.io.err(
    `authkeep agent: serving ${[...served.keys()].map((n) => `"${n}"`).join(', ')} on ${socketPath}\n` +
      `export AUTHKEEP_AGENT_SOCK=${socketPath}\n` +
      'Forward it with: authkeep ssh user@host   (Ctrl-C stops the agent)\n',
  )
  // A refresh a request started is saved before the agent exits (close waits for open connections).
  const signal = await new Promise<StopSignal>((done) => {
    for (const s of STOP_SIGNALS) deps.interrupts.handle(s, () => done(s))
  })
  await server.close()
  deps.io.err(`authkeep agent: stopped (${signal}); ${socketPath} removed\n`)
  return ExitCode.ok
}
