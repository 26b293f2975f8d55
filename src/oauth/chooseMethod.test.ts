import assert from 'node:assert/strict'
import { test } from 'node:test'
import { UsageError } from '../errors.js'
import type { Environment } from '../ports/environment.js'
import { CODEX_DEFAULTS } from '../profiles/codex.js'
import { type Profile, toProfile } from '../profiles/profile.js'
import { chooseMethod } from './chooseMethod.js'

const env = (e: Partial<Environment>): Environment => ({
  ci: false,
  ssh: false,
  display: false,
  interactive: true,
  user: 'u',
  sshServer: undefined,
  ...e,
})
const profile = (device: boolean, code = true, grantTypes?: string[]) =>
  ({
    name: 'p',
    endpoints: {
      authorization: code ? 'https://as/auth' : undefined,
      token: 'https://as/token',
      deviceAuthorization: device ? 'https://as/device' : undefined,
    },
    metadata: { grantTypes },
  }) as Profile

test('auto: CI or no terminal fails fast with what to do instead', () => {
  for (const e of [env({ ci: true }), env({ interactive: false })]) {
    assert.throws(
      () => chooseMethod(e, profile(true), 'auto'),
      (err: Error) => err instanceof UsageError && /--method paste/.test((err as UsageError).next ?? ''),
    )
  }
})

test('auto: SSH prefers the device flow, falls back to paste; without device it pastes', () => {
  assert.deepEqual(chooseMethod(env({ ssh: true }), profile(true), 'auto').method, 'device')
  assert.deepEqual(chooseMethod(env({ ssh: true }), profile(true), 'auto').fallback, 'paste')
  assert.equal(chooseMethod(env({ ssh: true }), profile(false), 'auto').method, 'paste')
  assert.equal(chooseMethod(env({ display: false }), profile(false), 'auto').method, 'paste')
})

test('auto: a desktop uses the loopback flow', () => {
  const c = chooseMethod(env({ display: true }), profile(true), 'auto')
  assert.equal(c.method, 'loopback')
  assert.match(c.reason, /desktop/)
})

test('an explicit method the profile cannot do is a usage error naming the alternative', () => {
  assert.throws(() => chooseMethod(env({}), profile(false), 'device'), /no device_authorization_endpoint/)
  assert.throws(() => chooseMethod(env({}), profile(true, false), 'paste'), /no authorization_endpoint/)
})

test('a grant type the server leaves out of grant_types_supported is not chosen, and not allowed', () => {
  const noDevice = profile(true, true, ['authorization_code', 'refresh_token'])
  assert.equal(chooseMethod(env({ ssh: true }), noDevice, 'auto').method, 'paste')
  assert.throws(
    () => chooseMethod(env({}), noDevice, 'device'),
    /lists no urn:ietf:params:oauth:grant-type:device_code in grant_types_supported, so the device flow cannot be used/,
  )
})

test('auto for the built-in codex profile: over SSH OpenAI device login then paste, on a desktop the 1455 loopback', () => {
  const codex = toProfile('codex', CODEX_DEFAULTS)
  const ssh = chooseMethod(env({ ssh: true }), codex, 'auto')
  assert.deepEqual([ssh.method, ssh.fallback], ['device', 'paste'])
  const desktop = chooseMethod(env({ display: true }), codex, 'auto')
  assert.deepEqual([desktop.method, desktop.fallback], ['loopback', 'device'])
})
