import { test } from 'node:test'
import fc from 'fast-check'
import {
  assertCleanError,
  assertShowable,
  Finding,
  nastyString,
  runProperty,
  secretArb,
} from '../../test/fuzz/kit.js'
import { PasteError, parsePasted } from './pastedInput.js'

const AREA = 'paste'

/** A pasted text is accepted as a code (never empty, never with a line break), or refused in one line. */
function check(input: string): void {
  let pasted: ReturnType<typeof parsePasted>
  try {
    pasted = parsePasted(input)
  } catch (err) {
    assertCleanError(err, { also: [PasteError] })
    return
  }
  if (pasted.code === '')
    throw new Finding('failure', `an empty code was accepted from ${JSON.stringify(input)}`)
}

const param = fc.oneof(nastyString, secretArb, fc.constantFrom('access_denied', 'invalid_request', ''))
// A lone surrogate cannot be percent-encoded; it is then pasted raw, as a broken clipboard would.
const enc = (s: string, raw: boolean) => {
  if (raw) return s
  try {
    return encodeURIComponent(s)
  } catch {
    return s
  }
}

/** The three shapes people paste, each with fuzzed parts: redirect URL, code#state, bare code. */
const nearMiss: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({
      scheme: fc.constantFrom('https://', 'http://', 'HTTP://', 'https:/', 'https://[::1', ''),
      host: fc.constantFrom('127.0.0.1/callback', 'console.anthropic.com/oauth/code/callback', '', 'a b'),
      sep: fc.constantFrom('?', '#', '?x=1#', '&'),
      names: fc.subarray(['code', 'state', 'error', 'error_description', 'iss', 'code']),
      values: fc.array(param, { minLength: 6, maxLength: 6 }),
      raw: fc.boolean(),
      quote: fc.constantFrom('', '"', "'", ' \n'),
    })
    .map(
      ({ scheme, host, sep, names, values, raw, quote }) =>
        `${quote}${scheme}${host}${sep}${names.map((n, i) => `${n}=${enc(values[i] ?? '', raw)}`).join('&')}${quote}`,
    ),
  fc
    .tuple(param, param, fc.constantFrom('#', '##', '', '#x#'))
    .map(([code, state, sep]) => `${code}${sep}${state}`),
  param,
)

test('any pasted text: a code, or a one-line PasteError that echoes no secret', async () => {
  await runProperty(AREA, fc.string({ unit: 'binary' }), check)
  await runProperty(AREA, nastyString, check)
})

test('near-miss redirect URLs, code#state and codes: a code, or a one-line PasteError that echoes no secret', async () => {
  await runProperty(AREA, nearMiss, check)
})

test('a browser error with a secret or a line break in its description is shown safely', () => {
  // Found by the properties above: the description was echoed verbatim, line breaks and all.
  const secret = 'sk-ant-oat01-FUZZSECRETabcdefghijklmnop'
  check(`https://x/cb?error=access_denied&error_description=${encodeURIComponent(`no\n${secret}`)}`)
  assertShowable('plain', 'a plain line')
})
