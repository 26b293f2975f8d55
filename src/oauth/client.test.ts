import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AuthkeepError } from '../errors.js'
import { type ProfileRecord, toProfile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import {
  acceptedIdTokenAlgs,
  authorizationRequest,
  clientAuthMethod,
  clientConfig,
  codeGrantChecks,
} from './client.js'

const profile = (record: Partial<ProfileRecord> = {}, secret?: string) => ({
  ...toProfile('p', {
    issuer: 'https://as.example',
    authorization_endpoint: 'https://as.example/auth',
    token_endpoint: 'https://as.example/token',
    client_id: 'cli',
    ...record,
  }),
  clientSecret: secret === undefined ? undefined : new Secret(secret),
})

test('ID token algorithms: any asymmetric one by default, HMAC only with a client secret', () => {
  const open = acceptedIdTokenAlgs(profile())
  for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']) assert.ok(open.includes(alg), alg)
  assert.ok(!open.includes('HS256'))
  assert.ok(!open.includes('none'))
  assert.ok(acceptedIdTokenAlgs(profile({}, 'a-secret')).includes('HS256'))
  const listed = { id_token_signing_alg_values_supported: ['HS256', 'ES256', 'none'] }
  assert.deepEqual(acceptedIdTokenAlgs(profile(listed)), ['ES256'])
  assert.deepEqual(acceptedIdTokenAlgs(profile(listed, 'a-secret')), ['HS256', 'ES256'])
})

test('client authentication: none without a secret; Basic unless the endpoint lists only post', () => {
  assert.equal(clientAuthMethod(profile(), 'token'), 'none')
  assert.equal(clientAuthMethod(profile({}, 's'), 'token'), 'client_secret_basic')
  const post = { token_endpoint_auth_methods_supported: ['client_secret_post', 'none'] }
  assert.equal(clientAuthMethod(profile(post, 's'), 'token'), 'client_secret_post')
  assert.equal(clientAuthMethod(profile(post, 's'), 'revocation'), 'client_secret_post')
  const split = { ...post, revocation_endpoint_auth_methods_supported: ['client_secret_basic'] }
  assert.equal(clientAuthMethod(profile(split, 's'), 'revocation'), 'client_secret_basic')
  const jwtOnly = { token_endpoint_auth_methods_supported: ['private_key_jwt'] }
  assert.throws(
    () => clientAuthMethod(profile(jwtOnly, 's'), 'token'),
    (err: unknown) =>
      err instanceof AuthkeepError &&
      /takes only private_key_jwt; authkeep sends a client secret/.test(err.message),
  )
})

test('a nonce goes with every authorization request that asks for openid, and is expected back', async () => {
  const oidc = profile({ scope: 'openid offline_access' })
  const withNonce = await authorizationRequest(clientConfig(oidc), oidc, 'http://127.0.0.1/callback')
  assert.ok(withNonce.nonce)
  assert.equal(withNonce.url.searchParams.get('nonce'), withNonce.nonce)
  assert.equal(codeGrantChecks(withNonce).expectedNonce, withNonce.nonce)

  const oauth = profile({ scope: 'read' })
  const without = await authorizationRequest(clientConfig(oauth), oauth, 'http://127.0.0.1/callback')
  assert.equal(without.nonce, undefined)
  assert.equal(without.url.searchParams.has('nonce'), false)
  assert.equal('expectedNonce' in codeGrantChecks(without), false)
})

test('metadata authkeep cannot honour stops the login before anything is approved', async () => {
  const plainOnly = profile({ code_challenge_methods_supported: ['plain'] })
  await assert.rejects(
    authorizationRequest(clientConfig(plainOnly), plainOnly, 'http://127.0.0.1/callback'),
    /lists only plain PKCE methods \(code_challenge_methods_supported\); authkeep uses S256 only/,
  )
  const signed = profile({ require_signed_request_object: true })
  await assert.rejects(
    authorizationRequest(clientConfig(signed), signed, 'http://127.0.0.1/callback'),
    /requires signed request objects/,
  )
})
