import { existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Deps } from '../deps.js'
import { AuthkeepError, ExitCode, UsageError } from '../errors.js'
import { shQuote } from '../handoff/remoteWriter.js'
import { assertTarget } from '../handoff/sshProgram.js'
import { type Arch, archOfMachine, elfArch, recordedSha256, sha256OfFile } from '../install/executable.js'
import { InstallerExit, installerCommand, PROBE_COMMAND } from '../install/remoteInstaller.js'
import { type SshOutcome, sshWithFile } from '../install/sshPipe.js'

export interface InstallInput {
  target: string
  /** The folder on the remote; `~/…` is the remote user's home. */
  dir: string
  /** The executable to copy; by default the one built for the remote's arch (or this one). */
  exe?: string
}

export const DEFAULT_INSTALL_DIR = '~/.local/bin'
const INSTALLED_NAME = 'authkeep'

/**
 * `install --to user@host`: copies the single executable to the remote over the user's own ssh, on
 * its stdin, into `dir` under a temp name; the remote checks the sha256 and that it runs, then renames
 * it into place. Nothing is left behind when any step fails.
 */
export async function installRemote(deps: Deps, input: InstallInput): Promise<void> {
  const { io } = deps
  const { target } = input
  const again = `authkeep install --to ${target}`
  try {
    assertTarget(target)
  } catch (err) {
    throw new UsageError((err as Error).message, 'authkeep install --to user@host')
  }
  if (!input.dir || /[\n\0]/.test(input.dir)) throw new UsageError('--dir is empty or not one line', again)

  const probe = await sshWithFile(deps.processEnv, target, PROBE_COMMAND)
  if (probe.code !== 0) throw sshFailed(target, probe, `ssh ${target} true`)
  const [os = '', machine = ''] = probe.stdout.trim().split(/\s+/)
  const arch = archOfMachine(machine)
  if (os !== 'Linux' || arch === undefined) {
    throw new AuthkeepError(
      `${target} is ${os} ${machine}; the executable is built for Linux on x86_64 and aarch64 only, nothing was copied`,
      { next: `ssh ${target} 'npm install -g authkeep'   (with Node.js 20.19+ there)` },
    )
  }

  const exe = await chooseExecutable(deps, input.exe, arch, target)
  const sum = await sha256OfFile(exe)
  const recorded = await recordedSha256(exe)
  if (recorded !== undefined && recorded !== sum) {
    throw new AuthkeepError(
      `${exe} does not match its checksum file ${basename(exe)}.sha256 (changed since it was built); nothing was copied`,
      { next: 'npm run build:exe' },
    )
  }
  const size = (await stat(exe)).size
  io.err(
    `Copying ${exe} (linux-${arch}, ${(size / 2 ** 20).toFixed(0)} MiB, sha256 ${sum.slice(0, 12)}…) to ${target}:${input.dir} over ssh …\n`,
  )
  const sent = await sshWithFile(
    deps.processEnv,
    target,
    installerCommand(input.dir, INSTALLED_NAME, sum),
    exe,
  )
  if (sent.code !== 0) throw installFailed(target, input.dir, sent, again)
  const [installed = '', onPath] = sent.stdout.trim().split('\n')
  io.err(`✓ Installed authkeep (linux-${arch}) at ${target}:${installed}; its sha256 was verified there.\n`)
  if (onPath !== 'on-path') {
    io.err(
      `  ${dirname(installed)} is not on the PATH of ssh commands there; add it, on ${target}, to ~/.profile and ~/.bashrc: export PATH=${shQuote(`${dirname(installed)}:`)}"$PATH"\n`,
    )
  }
  io.err(
    `  Next: authkeep login --for ${target}, or run \`authkeep agent\` here and then: authkeep ssh ${target}\n`,
  )
}

/** The named executable when it fits the remote; else this program itself or the build beside it. */
async function chooseExecutable(
  deps: Deps,
  named: string | undefined,
  arch: Arch,
  target: string,
): Promise<string> {
  const wanted = `authkeep-linux-${arch}`
  const candidates = named !== undefined ? [named] : defaultExecutables(deps.self, wanted)
  for (const file of candidates) {
    if (!existsSync(file)) continue
    const built = await elfArch(file).catch(() => undefined)
    if (built === arch) return file
    if (named !== undefined) {
      throw new AuthkeepError(
        `${file} is ${built ? `built for linux-${built}` : 'not a Linux executable'} but ${target} is linux-${arch}; nothing was copied`,
        { next: `npm run build:exe && authkeep install --to ${target} --exe dist-exe/${wanted}` },
      )
    }
  }
  throw new AuthkeepError(`no authkeep executable for linux-${arch} at ${candidates.join(' or ')}`, {
    next: `npm run build:exe   (then: authkeep install --to ${target})`,
  })
}

/**
 * Run as the single executable: itself, or a sibling built for the other arch. Run from the npm
 * install (node and bin/authkeep.cjs): what `npm run build:exe` wrote into the package's dist-exe/.
 */
function defaultExecutables(self: string[], wanted: string): string[] {
  const [program = '', script] = self
  if (script === undefined) return [program, join(dirname(program), wanted)]
  return [join(dirname(dirname(script)), 'dist-exe', wanted)]
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? ''
}

function sshFailed(target: string, r: SshOutcome, next: string): AuthkeepError {
  const why = lastLine(r.stderr)
  return new AuthkeepError(
    `cannot reach ${target} over ssh (ssh exited ${r.code}${why ? `: ${why}` : ''}); nothing was copied`,
    { exitCode: ExitCode.error, next },
  )
}

function installFailed(target: string, dir: string, r: SshOutcome, again: string): AuthkeepError {
  const why = lastLine(r.stderr)
  const nothing = 'nothing was installed'
  switch (r.code) {
    case InstallerExit.notWritable:
      return new AuthkeepError(`cannot install into ${target}:${dir} (${why}); ${nothing}`, {
        next: `${again} --dir '~/bin'`,
      })
    case InstallerExit.writeFailed:
      return new AuthkeepError(`writing the copy on ${target} failed (${why}); ${nothing}`, {
        next: `ssh ${target} df -h ${dir}`,
      })
    case InstallerExit.noChecksumTool:
      return new AuthkeepError(
        `${target} has no sha256sum, shasum or openssl to verify the copy; ${nothing}`,
        {
          next: `ssh ${target} 'sudo apt-get install -y coreutils'`,
        },
      )
    case InstallerExit.checksumMismatch:
      return new AuthkeepError(
        `the copy on ${target} has sha256 ${why.slice(0, 12)}…, not the one sent (changed on the way); it was removed, ${nothing}`,
        { next: again },
      )
    case InstallerExit.doesNotRun:
      return new AuthkeepError(`the copy does not run on ${target} (${why}); it was removed, ${nothing}`, {
        next: `ssh ${target} uname -m   (then: ${again} --exe dist-exe/authkeep-linux-ARCH)`,
      })
    case 255:
      return sshFailed(target, r, again)
    default:
      return new AuthkeepError(
        `installing on ${target} failed (exit ${r.code}${why ? `: ${why}` : ''}); ${nothing}`,
        { next: again },
      )
  }
}
