import assert from 'node:assert/strict'
import { test } from 'node:test'
import { printable } from './printable.js'
import { maskIn, Secret } from './secret.js'

test('printable shows control characters, separators and direction overrides as escapes', () => {
  assert.equal(printable('a\u001b]0;x\u0007b'), 'a\\x1b]0;x\\x07b')
  assert.equal(printable('one\r\ntwo\ttab'), 'one\\x0d\\x0atwo\\x09tab')
  assert.equal(printable('\u009b31m \u007f'), '\\x9b31m \\x7f')
  assert.equal(printable('safe\u202egnp.exe \u2028'), 'safe\\u202egnp.exe \\u2028')
  assert.equal(printable('plain text, ünïcode ✓ …'), 'plain text, ünïcode ✓ …')
})

test('printable cuts to the given length, marking the cut', () => {
  assert.equal(printable('x'.repeat(10), 4), 'xxxx…')
  assert.equal(printable('xxxx', 4), 'xxxx')
})

test('maskIn masks every occurrence of the secrets it is given, and leaves short values alone', () => {
  const refresh = new Secret('sk-ant-ort01-REFRESHVALUE-abcd')
  const text = `token sk-ant-ort01-REFRESHVALUE-abcd refused (sk-ant-ort01-REFRESHVALUE-abcd)`
  assert.equal(maskIn(text, [refresh, undefined]), 'token sk-ant-ort01-…abcd refused (sk-ant-ort01-…abcd)')
  assert.equal(maskIn('the code is short', [new Secret('short')]), 'the code is short')
})
