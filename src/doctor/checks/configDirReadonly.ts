import { constants } from 'node:fs'
import { access, readFile, realpath, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type Check, type DoctorContext, type Finding, finding } from '../finding.js'
import { isShared, ownDirectoryFix, sh } from './shell.js'

export type Access = (path: string, mode: number) => Promise<void>

/** The mount point holding `path`, from mountinfo (field 5), for the remount command. */
async function mountPointOf(path: string, mountinfo: string): Promise<string> {
  const real = await realpath(path).catch(() => path)
  const text = await readFile(mountinfo, 'utf8').catch(() => '')
  let best = '/'
  for (const line of text.split('\n')) {
    // Spaces in mount points are written as \040.
    const point = line.split(' ')[4]?.replace(/\\040/g, ' ')
    if (!point) continue
    const inside = point === '/' || real === point || real.startsWith(`${point}/`)
    if (inside && point.length > best.length) best = point
  }
  return best
}

async function fixFor(ctx: DoctorContext, dir: string, code: string, mountinfo: string): Promise<string> {
  if (code === 'EROFS') return `sudo mount -o remount,rw ${sh(await mountPointOf(dir, mountinfo))}`
  // EPERM where write permission is not the question: the immutable attribute.
  if (code === 'EPERM') return `sudo chattr -i ${sh(dir)}`
  const s = await stat(dir).catch(() => undefined)
  if (s && isShared(s.mode)) return ownDirectoryFix(ctx.profile.kind)
  return s && s.uid !== ctx.uid ? `sudo chown ${ctx.uid} ${sh(dir)}` : `chmod u+w ${sh(dir)}`
}

/** `access` and the mount table are parameters so tests can act out what root cannot be refused. */
export function makeConfigDirReadonly(check: Access = access, mountinfo = '/proc/self/mountinfo'): Check {
  return {
    id: 'config_dir.readonly',
    title: 'refreshed tokens can be saved: the directory is writable',
    async run(ctx) {
      const dir = ctx.configDir ?? dirname(ctx.credentialFile)
      // A directory not made yet is created at login; a missing login is credentials.missing.
      if (!(await stat(dir).catch(() => undefined))) return []
      const refused = async (path: string) =>
        check(path, constants.W_OK).then(
          () => undefined,
          (err: NodeJS.ErrnoException) => err.code ?? 'EACCES',
        )
      const found: Finding[] = []
      const why =
        ctx.profile.kind === 'claude-code'
          ? 'a refresh spends the old refresh token; when Claude Code or authkeep cannot save the new one, the login is lost at the next expiry (a read-only home also hangs Claude Code)'
          : 'a refresh spends the old refresh token; when authkeep cannot save the new one, the login is lost'
      const dirCode = await refused(dir)
      if (dirCode) {
        found.push(
          finding(
            'config_dir.readonly',
            'error',
            `${dir} is not writable (${dirCode})`,
            why,
            await fixFor(ctx, dir, dirCode, mountinfo),
          ),
        )
      } else if ((await refused(ctx.credentialFile)) === 'EROFS') {
        // A file bind-mounted read-only (`-v creds:/…/.credentials.json:ro`) inside a writable directory.
        found.push(
          finding(
            'config_dir.readonly',
            'error',
            `${ctx.credentialFile} is on a read-only mount (EROFS)`,
            why,
            `sudo mount -o remount,rw ${sh(await mountPointOf(ctx.credentialFile, mountinfo))}`,
          ),
        )
      }
      return found
    },
  }
}

export const configDirReadonly = makeConfigDirReadonly()
