import { spawn } from 'node:child_process'
import { AuthkeepError, ExitCode, UsageError } from '../errors.js'

/**
 * The user's own ssh, so ~/.ssh/config, agents, ProxyJump and known_hosts apply. AUTHKEEP_SSH
 * replaces it with a program and leading arguments split on spaces (`ssh -F ~/.ssh/other`).
 */
export function sshProgram(env: NodeJS.ProcessEnv): string[] {
  const words = (env.AUTHKEEP_SSH ?? 'ssh').trim().split(/\s+/).filter(Boolean)
  if (words.length === 0) throw new UsageError('AUTHKEEP_SSH is empty', 'unset AUTHKEEP_SSH')
  return words
}

/** A target ssh would take as a host and not as an option. */
export function assertTarget(target: string): void {
  if (!/^[A-Za-z0-9._@:[\]%-]+$/.test(target) || target.startsWith('-')) {
    throw new UsageError(`"${target}" is not an ssh destination`, 'authkeep login --for user@host')
  }
}

/**
 * Runs `ssh [lead…] -T target command` with `input` on stdin; ssh's own prompts and messages, and
 * what the remote prints, go to our stderr (stdout stays for machine output).
 */
export function runOverSsh(
  env: NodeJS.ProcessEnv,
  target: string,
  command: string,
  input: string,
  err: (text: string) => void,
): Promise<number> {
  const [program, ...lead] = sshProgram(env)
  return new Promise((resolve, reject) => {
    const child = spawn(program as string, [...lead, '-T', target, command], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    child.stdout.on('data', (d) => err(String(d)))
    child.stderr.on('data', (d) => err(String(d)))
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new AuthkeepError(`cannot run ${program}: ${e.code ?? e.message}`, {
          exitCode: ExitCode.error,
          next: 'sudo apt-get install -y openssh-client',
        }),
      ),
    )
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
    child.stdin.on('error', () => {})
    child.stdin.end(input)
  })
}
