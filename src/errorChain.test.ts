import assert from 'node:assert/strict'
import { test } from 'node:test'
import { errorChain } from './errorChain.js'
import { Secret } from './secret.js'

test('errorChain names each cause by class and first line, masks the secrets, and skips a non-Error cause', () => {
  const rt = new Secret('sk-ant-ort01-abcdefghijklmnopqrstuvwxyz')
  const inner = new DOMException('the token endpoint timed out', 'TimeoutError')
  const outer = new Error('something went wrong\nsecond line', { cause: inner })
  assert.equal(errorChain(outer), 'Error: something went wrong ← TimeoutError: the token endpoint timed out')
  class EtcdPermissionDeniedError extends Error {}
  const denied = new EtcdPermissionDeniedError(`refused ${rt.reveal()}`, { cause: { body: 'answer' } })
  assert.equal(errorChain(denied, [rt]), 'EtcdPermissionDeniedError: refused sk-ant-ort01-…wxyz')
  assert.equal(errorChain('a string'), 'a string')
})
