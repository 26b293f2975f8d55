import { quoteInput } from '../validation.js'

/** What a person pasted back after approving in a browser. */
export interface PastedAuthorization {
  code: string
  state: string | undefined
  iss: string | undefined
}

export class PasteError extends Error {}

const CODE = /^[A-Za-z0-9._~+/=-]{4,2048}$/

/**
 * Accepts the three things people paste: the whole redirect URL (with `?code=…&state=…`),
 * `code#state` (Claude's code page shows this), or a bare code.
 */
export function parsePasted(input: string): PastedAuthorization {
  const text = input.trim().replace(/^['"]|['"]$/g, '')
  if (text === '') throw new PasteError('nothing was pasted')
  if (/^https?:\/\//i.test(text)) {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      throw new PasteError('the pasted URL is not a valid URL')
    }
    const params =
      url.searchParams.has('code') || url.searchParams.has('error')
        ? url.searchParams
        : new URLSearchParams(url.hash.slice(1))
    const error = params.get('error')
    if (error) {
      const description = params.get('error_description')
      throw new PasteError(
        `the browser came back with an error: ${quoteInput(error)}${description ? ` (${quoteInput(description, 200)})` : ''}`,
      )
    }
    const code = params.get('code')
    if (!code) throw new PasteError('the pasted URL has no "code" parameter')
    return { code, state: params.get('state') ?? undefined, iss: params.get('iss') ?? undefined }
  }
  const [code = '', state, ...rest] = text.split('#')
  if (rest.length > 0 || !CODE.test(code) || (state !== undefined && !CODE.test(state))) {
    throw new PasteError('the pasted text is neither a code, code#state, nor the URL the browser was sent to')
  }
  return { code, state: state || undefined, iss: undefined }
}
