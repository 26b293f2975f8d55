import { mask } from '../../secret.js'

// Token-like runs: long base64url words, optionally JWT-dotted. Paths split on '/' and stay readable.
const TOKENISH = /[A-Za-z0-9_\-+=]{32,}(?:\.[A-Za-z0-9_\-+=]{8,}){0,2}/g

/** Masks anything token-like in text that came from elsewhere (a server message, a settings value). */
export function redact(text: string): string {
  return text.replace(TOKENISH, (m) => mask(m))
}
