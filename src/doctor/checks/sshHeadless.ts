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
        `no browser can open here${ctx.profile.kind === 'claude-code' ? ", and Claude Code's /login waits for a localhost callback the browser on your own machine cannot reach" : ''}; authkeep login picks a flow that needs none: a device code, or a URL to open anywhere and a code to paste back`,
        `authkeep login --profile ${ctx.profile.name}`,
      ),
    ]
  },
}
