import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { StatusEntry } from '../../usecases/status.js'
import { renderStatus } from './render.js'

const now = new Date('2026-01-01T00:00:00Z')
const entry = (e: Partial<StatusEntry>): StatusEntry => ({
  profile: 'work',
  state: 'valid',
  issuer: 'https://id.example',
  access_token_expires_at: '2026-01-01T00:30:00.000Z',
  refresh_token: true,
  refresh_token_expires_at: '2026-01-03T00:00:00.000Z',
  stored_in: 'file /x/work.json',
  other_host: null,
  detail: null,
  next: null,
  keepalive_warnings: [],
  ...e,
})

test('a healthy profile', () => {
  assert.equal(
    renderStatus([entry({})], now),
    [
      'work (https://id.example)',
      '  ✓ Logged in',
      '  - Access token expires in 30m (2026-01-01T00:30:00.000Z)',
      '  - Refresh token: present, ends in 2d',
      '  - Stored in: file /x/work.json',
      '',
    ].join('\n'),
  )
})

test('a profile that needs login ends with the command to run, and warns of a copied credential', () => {
  const text = renderStatus(
    [
      entry({
        state: 'login_required',
        detail: 'rejected',
        next: 'authkeep login --profile work',
        other_host: 'vps#abc',
      }),
    ],
    now,
  )
  assert.match(text, /X Login required/)
  assert.match(text, /! Written on another machine \(vps#abc\)/)
  assert.match(text, /To fix, run: authkeep login --profile work\n$/)
})

test('no profiles says how to add one', () => {
  assert.match(renderStatus([], now), /authkeep profile add NAME/)
})
