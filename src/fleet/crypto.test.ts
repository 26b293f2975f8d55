import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  DecryptError,
  generateMachineKey,
  isPublicKey,
  newDataKey,
  open,
  seal,
  unwrapKey,
  wrapKey,
} from './crypto.js'

describe('fleet encryption', () => {
  it('seals a value to its key name: another key, another name or a changed byte does not open', () => {
    const key = newDataKey()
    const sealed = seal(key, '{"access_token":"at-1"}', '/p/tok/a')
    assert.doesNotMatch(sealed, /at-1/)
    assert.equal(open(key, sealed, '/p/tok/a'), '{"access_token":"at-1"}')
    assert.throws(() => open(key, sealed, '/p/tok/b'), DecryptError)
    assert.throws(() => open(newDataKey(), sealed, '/p/tok/a'), DecryptError)
    const at = sealed.length - 2
    const flipped = `${sealed.slice(0, at)}${sealed[at] === 'A' ? 'B' : 'A'}${sealed.slice(at + 1)}`
    assert.throws(() => open(key, flipped, '/p/tok/a'), DecryptError)
    assert.throws(() => open(key, 'not sealed', '/p/tok/a'), DecryptError)
  })

  it('wraps a data key to one machine: only its private key unwraps it', () => {
    const host = generateMachineKey().key
    const other = generateMachineKey().key
    assert.ok(isPublicKey(host.publicKey))
    const dek = newDataKey()
    const wrapped = wrapKey(dek, host.publicKey, '/p/keys/a/h')
    assert.deepEqual(unwrapKey(wrapped, host, '/p/keys/a/h'), dek)
    assert.throws(() => unwrapKey(wrapped, other, '/p/keys/a/h'), DecryptError)
    assert.throws(() => unwrapKey(wrapped, host, '/p/keys/a/other'), DecryptError)
  })
})
