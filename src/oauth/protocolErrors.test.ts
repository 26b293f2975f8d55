import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as oidc from 'openid-client'
import { AuthkeepError, ExitCode, ServerUnavailableError } from '../errors.js'
import { describeFailure, refusedAnswer, toAuthkeepError } from './protocolErrors.js'

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

/** A token response with an ID token as given, answered by the real openid-client to a refresh. */
async function refreshAnswered(idToken: Record<string, unknown>, header = { alg: 'ES256' }) {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const claims = { iss: 'https://as.example', aud: 'cli', sub: 'u', iat: now, exp: now + 60, ...idToken }
  const config = new oidc.Configuration(
    { issuer: 'https://as.example', token_endpoint: 'https://as.example/t' },
    'cli',
  )
  config[oidc.customFetch] = async () =>
    Response.json({
      access_token: 'at',
      token_type: 'Bearer',
      id_token: `${part(header)}.${part(claims)}.c2ln`,
    })
  return oidc.refreshTokenGrant(config, 'rt').then(
    () => assert.fail('the answer was accepted'),
    (err: unknown) => err,
  )
}

test('an ID token this client refuses is final (exit 1, never retried) and names the cause', async () => {
  const cases: [Promise<unknown>, RegExp][] = [
    [
      refreshAnswered({}),
      /the ID token is signed with ES256, which this profile does not accept \(it accepts RS256\)/,
    ],
    [
      refreshAnswered({}, { alg: 'HS256' }),
      /signed with HS256.*needs the client secret \(profile add --client-secret\)/,
    ],
    [
      refreshAnswered({ iss: 'https://other.example' }, { alg: 'RS256' }),
      /the ID token's issuer "https:\/\/other\.example" is not the profile's issuer "https:\/\/as\.example"/,
    ],
    [refreshAnswered({ aud: 'someone-else' }, { alg: 'RS256' }), /the ID token was issued to another client/],
  ]
  for (const [answered, why] of cases) {
    const err = await answered
    assert.match(String(refusedAnswer(err)), why)
    assert.equal(describeFailure(err)?.transient, false)
    const mapped = toAuthkeepError(err, ctx)
    assert.ok(mapped instanceof AuthkeepError)
    assert.equal(mapped.exitCode, ExitCode.error)
    assert.match(
      mapped.message,
      /^the server's answer was refused here, so authkeep could not refresh the token/,
    )
  }
})
