export const KEYRING_SERVICE = 'authkeep'

/** The OS secret store. Every call has a deadline: Secret Service over D-Bus can hang on an SSH session. */
export interface Keyring {
  get(account: string): Promise<string | null>
  set(account: string, value: string): Promise<void>
  delete(account: string): Promise<void>
}

export class KeyringUnavailableError extends Error {
  constructor(reason: string) {
    super(`the system keyring is not available (${reason})`)
    this.name = 'KeyringUnavailableError'
  }
}

export function systemKeyring(timeoutMs = 3000): Keyring {
  const call = async <T>(
    account: string,
    op: (entry: import('@napi-rs/keyring').AsyncEntry, s: AbortSignal) => Promise<T>,
  ) => {
    let mod: typeof import('@napi-rs/keyring')
    try {
      mod = await import('@napi-rs/keyring')
    } catch (err) {
      throw new KeyringUnavailableError(`cannot load the keyring module: ${(err as Error).message}`)
    }
    const signal = AbortSignal.timeout(timeoutMs)
    const timedOut = new Promise<never>((_, reject) =>
      signal.addEventListener(
        'abort',
        () => reject(new KeyringUnavailableError(`no answer in ${timeoutMs} ms`)),
        {
          once: true,
        },
      ),
    )
    try {
      return await Promise.race([op(new mod.AsyncEntry(KEYRING_SERVICE, account), signal), timedOut])
    } catch (err) {
      if (err instanceof KeyringUnavailableError) throw err
      throw new KeyringUnavailableError((err as Error).message)
    }
  }
  return {
    get: (account) => call(account, (e, s) => e.getPassword(s)),
    set: (account, value) => call(account, (e, s) => e.setPassword(value, s)),
    delete: async (account) => {
      await call(account, (e, s) => e.deletePassword(s))
    },
  }
}
