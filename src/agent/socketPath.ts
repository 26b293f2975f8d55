import { existsSync } from 'node:fs'
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises'
import { connect } from 'node:net'
import { basename, dirname, join } from 'node:path'
import { AuthkeepError, ExitCode, UsageError } from '../errors.js'
import type { Paths } from '../profiles/paths.js'

/** sun_path is 108 bytes on Linux, 104 on macOS, including the terminating NUL. */
const MAX_SOCKET_PATH = 103

/** $XDG_RUNTIME_DIR is per-user, 0700 and on tmpfs: the place for a socket; else the state dir. */
export function defaultSocketPath(env: NodeJS.ProcessEnv, paths: Paths): string {
  const runtime = env.XDG_RUNTIME_DIR
  if (runtime && existsSync(runtime)) return join(runtime, 'authkeep', 'agent.sock')
  return join(paths.stateDir, 'agent', 'agent.sock')
}

/**
 * Makes the socket's directory ours and 0700, so no other (non-root) user can even reach the socket.
 * A directory we did not create must already be ours and closed to others: we do not chmod a
 * directory someone else may rely on, and a group- or world-writable one would let another user swap
 * the socket.
 */
export async function prepareSocketDir(socketPath: string, uid: number): Promise<void> {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new UsageError(
      `the socket path ${socketPath} is longer than a Unix socket allows (${MAX_SOCKET_PATH} bytes)`,
      'authkeep agent --socket /tmp/authkeep-$USER/agent.sock',
    )
  }
  const dir = dirname(socketPath)
  let created = false
  try {
    await mkdir(dir, { mode: 0o700 })
    created = true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      created = true
    } else if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  const st = await lstat(dir)
  if (!st.isDirectory() || st.uid !== uid) {
    throw new AuthkeepError(
      `${dir} is not a directory owned by you (uid ${uid}); refusing to put the agent there`,
      {
        exitCode: ExitCode.config,
        next: 'authkeep agent --socket /tmp/authkeep-$USER/agent.sock',
      },
    )
  }
  if (created) await chmod(dir, 0o700)
  else if ((st.mode & 0o022) !== 0) {
    // Not `chmod 700`: a directory others write to (/tmp, a shared folder) is theirs too; a private
    // directory inside it, made 0700 by the agent, serves as well and takes nothing from them.
    throw new AuthkeepError(`${dir} is writable by others; another user could replace the agent's socket`, {
      exitCode: ExitCode.config,
      next: `authkeep agent --socket ${join(dir, `authkeep-${uid}`, basename(socketPath))}`,
    })
  }
}

/** A socket file left by an agent that died is removed; a live agent's socket is not taken over. */
export async function clearStaleSocket(socketPath: string): Promise<void> {
  let st: Awaited<ReturnType<typeof lstat>>
  try {
    st = await lstat(socketPath)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (!st.isSocket()) {
    throw new AuthkeepError(`${socketPath} exists and is not a socket; refusing to replace it`, {
      exitCode: ExitCode.config,
      next: `rm ${socketPath}`,
    })
  }
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(socketPath)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
  if (alive) {
    throw new AuthkeepError(`an authkeep agent is already listening on ${socketPath}`, {
      next: `export AUTHKEEP_AGENT_SOCK=${socketPath}`,
    })
  }
  await unlink(socketPath)
}
