import { spawn } from 'node:child_process'

export interface Browser {
  /** Tries to show the URL to a person; false when no browser could be started. */
  open(url: string): Promise<boolean>
}

/** Honours $BROWSER like gh and git do; otherwise the platform's opener. Its output never reaches our stdout. */
export function systemBrowser(env: NodeJS.ProcessEnv, platform = process.platform): Browser {
  return {
    open(url) {
      const [cmd, ...args] = env.BROWSER
        ? [env.BROWSER, url]
        : platform === 'darwin'
          ? ['open', url]
          : platform === 'win32'
            ? ['cmd', '/c', 'start', '""', url]
            : ['xdg-open', url]
      return new Promise((resolve) => {
        const child = spawn(cmd as string, args, { stdio: 'ignore', detached: true })
        child.once('error', () => resolve(false))
        child.once('spawn', () => {
          child.unref()
          resolve(true)
        })
      })
    },
  }
}

/** For tests and for machines that must never pop a window. */
export const neverBrowser: Browser = {
  open() {
    throw new Error('a browser was opened where none may be')
  },
}
