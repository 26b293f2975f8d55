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
    sshServer:
      sshParts.length === 4 && sshParts[2]
        ? { host: sshParts[2], port: Number(sshParts[3]) || 22 }
        : undefined,
  }
}
