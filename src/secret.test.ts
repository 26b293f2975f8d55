import assert from 'node:assert/strict'
import { test } from 'node:test'
import { inspect } from 'node:util'
import { mask, Secret } from './secret.js'

test('mask keeps a known prefix and the last four characters', () => {
  assert.equal(mask('sk-ant-oat01-abcdefghijklmnopqrstuvwxyz0123'), 'sk-ant-oat01-…0123')
  assert.equal(mask('eyJhbGciOiJSUzI1NiJ9.payload.signature'), '…ture')
  assert.equal(mask('short'), '…')
})

test('a Secret never shows its value through String, JSON or inspect', () => {
  const value = 'sk-ant-ort01-THE-REAL-SECRET-VALUE-1234'
  const s = new Secret(value)
  for (const shown of [
    String(s),
    `${s}`,
    JSON.stringify({ s }),
    inspect(s),
    inspect({ s }),
    Object.keys(s).join(),
  ]) {
    assert.ok(!shown.includes('THE-REAL-SECRET'), shown)
  }
  assert.equal(s.reveal(), value)
  assert.ok(s.equals(new Secret(value)))
  assert.ok(!s.equals(new Secret(`${value}x`)))
})
