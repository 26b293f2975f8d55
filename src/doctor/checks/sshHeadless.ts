import { type Check, finding } from '../finding.js'

export const sshHeadless: Check = {
  id: 'ssh.headless',
  title: 'whether a browser can open here',
  async run(ctx) {
    const ssh = ['SSH_CONNECTION', 'SSH_TTY', 'SSH_CLIENT'].filter((v) => ctx.env[v])
    if (ssh.length === 0 || ctx.env.DISPLAY || ctx.env.WAYLAND_DISPLAY) return []
    return [
      finding(
        'ssh.headless',
        'info',
        `an SSH session (${ssh.join(', ')} set) without DISPLAY or WAYLAND_DISPLAY`,
        'no browser can open here, and Claude Code’s /login waits for a localhost callback the browser on your own machine cannot reach; authkeep login prints the URL and takes the pasted code instead',
        `authkeep login --profile ${ctx.profile.name}`,
      ),
    ]
  },
}
