import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseOnly } from '../parseOnly.js'
import { profileCommand } from './command.js'

test('profile add maps flags to options', async () => {
  assert.deepEqual(
    await parseOnly(profileCommand, [
      'add',
      'corp',
      '--issuer',
      'https://id.example',
      '--client-id',
      'cli',
      '--scope',
      'openid offline_access',
      '--refresh-margin',
      '120',
    ]),
    {
      action: 'add',
      name: 'corp',
      opts: {
        issuer: 'https://id.example',
        clientId: 'cli',
        scope: 'openid offline_access',
        refreshMargin: 120,
      },
    },
  )
})

test('profile add: --client-secret is a flag, --loopback-port a port', async () => {
  const parsed = await parseOnly(profileCommand, [
    'add',
    'corp',
    '--issuer',
    'https://id.example',
    '--client-id',
    'cli',
    '--client-secret',
    '--loopback-port',
    '8765',
  ])
  assert.deepEqual(parsed, {
    action: 'add',
    name: 'corp',
    opts: { issuer: 'https://id.example', clientId: 'cli', clientSecret: true, loopbackPort: 8765 },
  })
  await assert.rejects(parseOnly(profileCommand, ['add', 'c', '--client-id', 'x', '--loopback-port', '0']))
})

test('profile add requires --client-id', async () => {
  await assert.rejects(
    parseOnly(profileCommand, ['add', 'corp', '--issuer', 'https://id.example']),
    /--client-id/,
  )
})

test('profile list, show and remove', async () => {
  assert.deepEqual(await parseOnly(profileCommand, ['list', '--json']), { action: 'list', json: true })
  assert.deepEqual(await parseOnly(profileCommand, ['show', 'x']), { action: 'show', name: 'x' })
  assert.deepEqual(await parseOnly(profileCommand, ['remove', 'x']), { action: 'remove', name: 'x' })
})
