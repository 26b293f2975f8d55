import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { AuthkeepError, ExitCode } from '../errors.js'
import { sshProgram } from '../handoff/sshProgram.js'

export interface SshOutcome {
  code: number
  stdout: string
  stderr: string
}

/**
 * `ssh [lead…] -T target command` with a file (or nothing) on stdin, the way `login --for` runs ssh
 * (AUTHKEEP_SSH, the user's config); stdout and stderr are collected for the caller to judge.
 */
export function sshWithFile(
  env: NodeJS.ProcessEnv,
  target: string,
  command: string,
  stdinFile?: string,
): Promise<SshOutcome> {
  const [program, ...lead] = sshProgram(env)
  return new Promise((resolve, reject) => {
    const child = spawn(program as string, [...lead, '-T', target, command], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new AuthkeepError(`cannot run ${program}: ${e.code ?? e.message}`, {
          exitCode: ExitCode.error,
          next: 'sudo apt-get install -y openssh-client',
        }),
      ),
    )
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }))
    // The remote may stop reading early (it refused the folder): the rest of the file is not needed.
    child.stdin.on('error', () => {})
    if (stdinFile === undefined) child.stdin.end()
    else
      createReadStream(stdinFile)
        .on('error', (e) => child.stdin.destroy(e))
        .pipe(child.stdin)
  })
}
