/** What the login method choice and hints depend on, read once from the process environment. */
export interface Environment {
  ci: boolean
  ssh: boolean
  display: boolean
  /** stdin and stderr are both terminals: a person can answer. */
  interactive: boolean
  user: string
  /** The address and port a laptop would ssh to, from SSH_CONNECTION. */
  sshServer: { host: string; port: number } | undefined
}

export function readEnvironment(
  env: NodeJS.ProcessEnv,
  interactive: boolean,
  platform = process.platform,
): Environment {
  const sshParts = (env.SSH_CONNECTION ?? '').trim().split(/\s+/)
  const ssh = Boolean(env.SSH_CONNECTION || env.SSH_TTY || env.SSH_CLIENT)
  const desktopOs = platform === 'darwin' || platform === 'win32'
  return {
    ci: Boolean(env.CI && env.CI !== 'false') || Boolean(env.GITHUB_ACTIONS) || Boolean(env.BUILDKITE),
    ssh,
    display: desktopOs ? !ssh : Boolean(env.DISPLAY || env.WAYLAND_DISPLAY),
    interactive,
    user: env.USER || env.LOGNAME || 'user',
    sshServer: sshServerOf(sshParts),
  }
}

// sshd writes an IP address here; anything else (control characters, a stray token) is not shown in a hint.
const SSH_HOST = /^[0-9A-Za-z.:%_-]{1,253}$/

function sshServerOf(parts: string[]): Environment['sshServer'] {
  const [, , host, portText] = parts
  if (parts.length !== 4 || !host || !SSH_HOST.test(host)) return undefined
  const port = Number(portText)
  return { host, port: Number.isInteger(port) && port >= 1 && port <= 65_535 ? port : 22 }
}
