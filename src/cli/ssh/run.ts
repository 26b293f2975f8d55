import { spawn, spawnSync } from 'node:child_process'
import { lstat } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { resolve } from 'node:path'
import { defaultSocketPath } from '../../agent/socketPath.js'
import { planSsh, sshConfigSnippet } from '../../agent/sshArgs.js'
import { AuthkeepError, ExitCode, UsageError } from '../../errors.js'
import { sshProgram } from '../../handoff/sshProgram.js'
import type { Run } from '../dispatch.js'
import type { SshOptions } from './options.js'

export const sshRun: Run<SshOptions> = async (deps, opts) => {
  const localSocket = resolve(
    opts.socket ?? deps.processEnv.AUTHKEEP_AGENT_SOCK ?? defaultSocketPath(deps.processEnv, deps.paths),
  )
  if (opts.printConfig !== undefined) {
    deps.io.out(
      sshConfigSnippet(opts.printConfig, remoteUser(deps.processEnv, opts.printConfig), localSocket),
    )
    return ExitCode.ok
  }
  if (opts.sshArgs.length === 0) {
    throw new UsageError('no destination given', 'authkeep ssh user@host')
  }
  // Checked before connecting: a session whose forwarded socket leads nowhere only fails later, remotely.
  const isSocket = await lstat(localSocket).then(
    (s) => s.isSocket(),
    () => false,
  )
  if (!isSocket) {
    throw new AuthkeepError(`no authkeep agent at ${localSocket}`, {
      exitCode: ExitCode.unavailable,
      next: 'authkeep agent   (in another terminal, then run this again)',
    })
  }
  let plan: ReturnType<typeof planSsh>
  try {
    plan = planSsh(opts.sshArgs, localSocket, deps.io.stdinIsTTY)
  } catch {
    throw new UsageError('no destination among the ssh arguments', 'authkeep ssh user@host')
  }
  deps.io.err(`authkeep: forwarding the agent to ${plan.remoteSocket} on the remote\n`)
  // The user's own ssh (or AUTHKEEP_SSH, as for `login --for`), so ~/.ssh/config, agents, ProxyJump
  // and known_hosts all apply.
  const [program, ...lead] = sshProgram(deps.processEnv)
  return new Promise((done, fail) => {
    const child = spawn(program as string, [...lead, ...plan.args], { stdio: 'inherit' })
    child.on('error', (err) =>
      fail(
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? new AuthkeepError(`${program} was not found`, {
              exitCode: ExitCode.commandNotFound,
              next: `which ${program}`,
            })
          : err,
      ),
    )
    // Ctrl-C belongs to the remote session: ssh handles it; this process just waits for ssh.
    const ignore = () => {}
    process.on('SIGINT', ignore)
    child.on('close', (code, signal) => {
      process.off('SIGINT', ignore)
      done(code ?? 128 + (signal === 'SIGTERM' ? 15 : 9))
    })
  })
}

/** The user ssh would log in as, from `ssh -G` (so ~/.ssh/config's User applies). */
function remoteUser(env: NodeJS.ProcessEnv, host: string): string {
  const [program, ...lead] = sshProgram(env)
  const r = spawnSync(program as string, [...lead, '-G', host], { encoding: 'utf8', timeout: 5_000 })
  const user = /^user (\S+)$/m.exec(r.stdout ?? '')?.[1]
  return user ?? userInfo().username
}
