import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseOnly } from '../parseOnly.js'
import { loginCommand } from './command.js'

test('login defaults to --method auto and a 600 s timeout', async () => {
  assert.deepEqual(await parseOnly(loginCommand, []), { method: 'auto', timeout: 600 })
})

test('login flags map to options', async () => {
  assert.deepEqual(
    await parseOnly(loginCommand, [
      '--profile',
      'w',
      '--method',
      'loopback',
      '--port',
      '8085',
      '--timeout',
      '30',
      '--store',
      'file',
    ]),
    { profile: 'w', method: 'loopback', port: 8085, timeout: 30, store: 'file' },
  )
})

test('login rejects an unknown method and a bad port', async () => {
  await assert.rejects(
    parseOnly(loginCommand, ['--method', 'magic']),
    /Allowed choices are auto, device, loopback, paste/,
  )
  await assert.rejects(parseOnly(loginCommand, ['--port', '70000']), /whole number from 0 to 65535/)
  await assert.rejects(parseOnly(loginCommand, ['--port', '12ab']), /whole number/)
})
