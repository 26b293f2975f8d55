import { chmod, stat } from 'node:fs/promises'
import { type Check, finding } from '../finding.js'
import { sh } from './shell.js'

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0')

export const credentialsMode: Check = {
  id: 'credentials.mode',
  title: 'only the owner can read or write the credential file (mode 0600)',
  async run(ctx) {
    // stat follows a symlink: what matters is who can read the tokens, wherever they are.
    const s = await stat(ctx.credentialFile).catch(() => undefined)
    if (!s || (s.mode & 0o077) === 0) return []
    const readable = (s.mode & 0o044) !== 0
    return [
      finding(
        'credentials.mode',
        'error',
        `${ctx.credentialFile} has mode ${octal(s.mode)}: ${readable ? 'other users can read it' : 'other users can change it'}`,
        readable
          ? 'it holds the refresh token: anyone who can read it can use the login, and keep using it after you rotate'
          : 'another user could swap the tokens for their own, or empty them',
        `chmod 600 ${sh(ctx.credentialFile)}`,
        true,
      ),
    ]
  },
  async fix(ctx) {
    await chmod(ctx.credentialFile, 0o600)
    return `chmod 600 ${ctx.credentialFile}`
  },
}
