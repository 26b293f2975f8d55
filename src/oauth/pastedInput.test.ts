import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PasteError, parsePasted } from './pastedInput.js'

test('accepts the whole redirect URL', () => {
  assert.deepEqual(
    parsePasted('http://127.0.0.1/callback?code=abc123XYZ&state=st4te&iss=http%3A%2F%2F127.0.0.1%3A9'),
    {
      code: 'abc123XYZ',
      state: 'st4te',
      iss: 'http://127.0.0.1:9',
    },
  )
})

test('accepts code#state as Claude shows it, and a bare code, with surrounding blanks or quotes', () => {
  assert.deepEqual(parsePasted('  abcd1234#st4te\n'), { code: 'abcd1234', state: 'st4te', iss: undefined })
  assert.deepEqual(parsePasted("'abcd1234'"), { code: 'abcd1234', state: undefined, iss: undefined })
})

test('an error in the redirect is reported, not treated as a code', () => {
  assert.throws(
    () => parsePasted('http://127.0.0.1/callback?error=access_denied&error_description=nope&state=x'),
    (e: Error) => e instanceof PasteError && /access_denied \(nope\)/.test(e.message),
  )
})

test('rejects empty, URL without code, and text that is no code', () => {
  for (const bad of ['', '   ', 'http://127.0.0.1/callback?state=x', 'two words', 'a#b#c', 'http://[bad']) {
    assert.throws(() => parsePasted(bad), PasteError, bad)
  }
})
