import { join } from 'node:path'

export interface Paths {
  configFile: string
  stateDir: string
  credentialsDir: string
  backupsDir: string
}

/** AUTHKEEP_HOME holds everything when set; otherwise config and state follow the XDG base directories. */
export function resolvePaths(env: NodeJS.ProcessEnv, home: string): Paths {
  const root = env.AUTHKEEP_HOME
  const configDir = root ?? join(env.XDG_CONFIG_HOME || join(home, '.config'), 'authkeep')
  const stateDir = root
    ? join(root, 'state')
    : join(env.XDG_STATE_HOME || join(home, '.local', 'state'), 'authkeep')
  return {
    configFile: join(configDir, 'config.json'),
    stateDir,
    credentialsDir: join(stateDir, 'credentials'),
    backupsDir: join(stateDir, 'backups'),
  }
}

export function credentialFile(paths: Paths, profile: string): string {
  return join(paths.credentialsDir, `${profile}.json`)
}

/** A lock of its own beside the record: the record itself is never locked (kubelogin #1144). */
export function credentialLock(paths: Paths, profile: string): string {
  return join(paths.credentialsDir, `${profile}.lock`)
}
