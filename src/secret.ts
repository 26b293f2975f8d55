import { inspect } from 'node:util'

/** Masks a secret for display: keeps a recognisable prefix such as `sk-ant-oat01-` and the last 4 characters. */
export function mask(value: string): string {
  if (value.length < 16) return '…'
  const prefix = /^[a-z]{1,8}(?:-[a-z0-9]{1,8}){0,2}-/i.exec(value)?.[0] ?? ''
  return `${prefix.length <= 16 ? prefix : ''}…${value.slice(-4)}`
}

/**
 * `text` with every secret in it masked: for what a server echoes back (an `error_description` that
 * quotes the refresh token it refused), before it is shown or stored.
 */
export function maskIn(text: string, secrets: readonly (Secret | undefined)[]): string {
  let out = text
  for (const s of secrets) {
    const value = s?.reveal()
    // A value this short is no token, and masking it would garble ordinary words.
    if (value && value.length >= 8) out = out.replaceAll(value, mask(value))
  }
  return out
}

/**
 * A secret value that masks itself wherever it is turned into text or JSON.
 * Printing the real value is an explicit `reveal()`.
 */
export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  reveal(): string {
    return this.#value
  }

  equals(other: Secret | undefined): boolean {
    return other !== undefined && other.#value === this.#value
  }

  toString(): string {
    return mask(this.#value)
  }

  toJSON(): string {
    return mask(this.#value)
  }

  [inspect.custom](): string {
    return `Secret(${mask(this.#value)})`
  }
}
