import { randomBytes } from 'node:crypto'

export interface SshPlan {
  args: string[]
  remoteSocket: string
}

/** A fresh, unguessable path per session: nothing stale to unlink, nothing another user could squat. */
export function remoteSocketPath(): string {
  return `/tmp/authkeep-agent-${randomBytes(12).toString('hex')}.sock`
}

/** POSIX single-quoting; the same text also reads right in fish and csh. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`
}

/**
 * The user's ssh arguments plus the forwarding. The variable is set by the remote command rather than
 * with SetEnv, because sshd drops variables its AcceptEnv does not list (Debian's accepts LANG and LC_*
 * only). `env` and `exec` work in every login shell (sh, bash, zsh, fish, csh).
 */
export function planSsh(
  userArgs: string[],
  localSocket: string,
  stdinIsTTY: boolean,
  remoteSocket = remoteSocketPath(),
): SshPlan {
  const destAt = destinationIndex(userArgs)
  if (destAt === -1) throw new Error('no destination')
  const options = userArgs.slice(0, destAt)
  const destination = userArgs[destAt] as string
  const command = userArgs.slice(destAt + 1)
  const forward = [
    '-R',
    `${remoteSocket}:${localSocket}`,
    '-o',
    'StreamLocalBindUnlink=yes',
    // A session without the agent is not what was asked for: fail instead of starting it.
    '-o',
    'ExitOnForwardFailure=yes',
  ]
  const userChoseTty = options.some((o) => /^-[A-Za-z]*[tT]/.test(o) && !o.startsWith('-o'))
  let remote: string
  let tty: string[] = []
  if (command.length === 0) {
    remote = `exec sh -c ${shellQuote(sessionScript('"$SHELL" -l'))} ${remoteSocket}`
    // With a remote command ssh no longer allocates a terminal by itself, as it would for a login.
    if (stdinIsTTY && !userChoseTty) tty = ['-t']
  } else {
    // ssh joins the words with spaces and the login shell reads them: keep that meaning inside $SHELL -c.
    remote = `exec sh -c ${shellQuote(sessionScript('"$SHELL" -c "$1"'))} ${remoteSocket} ${shellQuote(command.join(' '))}`
  }
  return { args: [...options, ...forward, ...tty, destination, remote], remoteSocket }
}

/**
 * sshd leaves a forwarded socket's file behind when the session ends, one more in /tmp per session: the
 * session runs under an sh ($0 is the socket) that removes it on the way out. Signals it traps wait for
 * the session's shell to end first (POSIX), and that shell gets them as usual: trapped, not ignored.
 * No single quote or backslash inside, so the quoted text reads the same in any login shell.
 */
function sessionScript(run: string): string {
  return `trap "rm -f $0" EXIT; trap "exit 129" HUP; trap "exit 143" TERM; trap : INT QUIT; AUTHKEEP_AGENT_SOCK=$0 ${run}`
}

/** ssh's options that take a value, so the destination can be told apart from option arguments. */
const VALUE_OPTIONS = new Set('BbcDEeFIiJLlmOoPpQRSWw')

/** Where the destination is in ssh's arguments (the first operand), or -1. */
export function destinationIndex(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (a === '--') return i + 1 < args.length ? i + 1 : -1
    if (a.startsWith('-') && a.length > 1) {
      // -p22 carries its value; -p 22 takes the next argument; -tt carries only flags.
      const letters = [...a.slice(1)]
      const valueAt = letters.findIndex((c) => VALUE_OPTIONS.has(c))
      if (valueAt === letters.length - 1) i++
      continue
    }
    return i
  }
  return -1
}

/** An ssh_config block for people who prefer plain `ssh HOST`; the path is fixed per remote user. */
export function sshConfigSnippet(host: string, remoteUser: string, localSocket: string): string {
  const remote = `/tmp/authkeep-agent-${remoteUser}.sock`
  return [
    `# authkeep: forward the token agent to ${host} (\`authkeep agent\` must be running here)`,
    `Host ${host}`,
    `  RemoteForward ${remote} ${localSocket}`,
    '  StreamLocalBindUnlink yes',
    '  ExitOnForwardFailure yes',
    `  SetEnv AUTHKEEP_AGENT_SOCK=${remote}`,
    `# SetEnv arrives only where ${host}'s sshd_config has \`AcceptEnv AUTHKEEP_AGENT_SOCK\`; otherwise put`,
    `#   export AUTHKEEP_AGENT_SOCK=${remote}`,
    `# in ~/.profile on ${host}. A fixed path is reused after a disconnect only where that sshd has`,
    '# `StreamLocalBindUnlink yes`; `authkeep ssh` avoids both by using a fresh path per session.',
    '',
  ].join('\n')
}
