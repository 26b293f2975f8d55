import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthkeepError, ServerUnavailableError } from '../errors.js'
import { describeFailure, toAuthkeepError } from './protocolErrors.js'

/** What Node's fetch throws when the connection fails: a TypeError whose cause carries the code. */
const fetchFailed = (code: string) =>
  new TypeError('fetch failed', { cause: Object.assign(new Error(`failed: ${code}`), { code }) })
const ctx = { profile: 'p', action: 'refresh the token', next: 'authkeep refresh --profile p' }

test('a certificate that fails verification is final, with the CA hint and doctor as the next step', () => {
  for (const code of [
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
  ]) {
    assert.equal(describeFailure(fetchFailed(code))?.transient, false, code)
    const err = toAuthkeepError(fetchFailed(code), ctx)
    assert.ok(err instanceof AuthkeepError && !(err instanceof ServerUnavailableError), code)
    assert.match(err.message, new RegExp(`not trusted here \\(${code}\\).*NODE_EXTRA_CA_CERTS`))
    assert.equal(err.next, 'authkeep doctor --online --profile p')
  }
})

test('a refused, reset or timed-out connection stays transient', () => {
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'ERR_TLS_HANDSHAKE_TIMEOUT']) {
    assert.equal(describeFailure(fetchFailed(code))?.transient, true, code)
    assert.ok(toAuthkeepError(fetchFailed(code), ctx) instanceof ServerUnavailableError, code)
  }
})
