/**
 * C0 and C1 control characters and DEL (an ESC starts a terminal command: retitle the window, rewrite the
 * screen, write to the clipboard), and the Unicode separators and direction overrides that break a line
 * or reorder what is shown.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what must not reach a terminal
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/**
 * Text from a server, a peer or a file, made safe to print, log or ask about: every control character
 * is shown as an escape (`\x1b`, `\u202e`), so the text stays one line and cannot drive the terminal.
 * Cut to `max` characters when given: a server's description is a sentence, not a page.
 */
export function printable(text: string, max = Number.POSITIVE_INFINITY): string {
  const safe = text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0)
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`
  })
  return safe.length <= max ? safe : `${safe.slice(0, max)}…`
}
