import { test } from 'node:test'
import fc from 'fast-check'
import {
  assertShowable,
  Finding,
  nastyString,
  nearMissJson,
  runProperty,
  secretArb,
  weirdValue,
} from '../../test/fuzz/kit.js'
import { parseRequest, parseResponse } from './protocol.js'

const AREA = 'agent-protocol'
// biome-ignore lint/suspicious/noControlCharactersInRegex: what must never reach a terminal
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

const validRequest = fc.record({
  v: fc.constant(1),
  op: fc.constant('token'),
  profile: fc.oneof(fc.constantFrom('work', 'claude-code'), secretArb),
  force: fc.boolean(),
  host: fc.oneof(fc.constant('box'), nastyString),
})
const validResponse = fc.oneof(
  fc.record({ v: fc.constant(1), error: fc.constant('denied'), description: nastyString }),
  fc.record({
    v: fc.constant(1),
    access_token: secretArb,
    token_type: fc.constant('Bearer'),
    expires_at: fc.constant('2030-01-01T00:00:00Z'),
    scope: fc.constant('openid'),
    source: fc.constantFrom('cached', 'adopted', 'refreshed'),
  }),
)
const line = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof(
    nearMissJson(valid),
    fc.string({ unit: 'binary' }),
    nastyString,
    weirdValue.map((v) => JSON.stringify(v) ?? ''),
  )

test('agent requests: accepted, or a bad_request/unsupported_version answer in one line that quotes no secret', async () => {
  await runProperty(AREA, line(validRequest), (text) => {
    const r = parseRequest(text)
    if (r.ok) {
      // The host is shown in the confirmation question and the log: printable, whatever was sent.
      if (CONTROL.test(r.request.host ?? '')) throw new Finding('failure', 'a host with a control character')
      return
    }
    if (!['bad_request', 'unsupported_version'].includes(r.response.error)) {
      throw new Finding('failure', `unexpected error code ${r.response.error}`)
    }
    assertShowable(r.response.description, 'the agent answer')
  })
})

test('agent responses (read by the remote): validated or undefined, never a throw', async () => {
  await runProperty(AREA, line(validResponse), (text) => {
    const r = parseResponse(text)
    if (r === undefined) return
    if ('access_token' in r && (typeof r.access_token !== 'string' || r.access_token === '')) {
      throw new Finding('failure', 'a response without a usable access token was accepted')
    }
    // `token` prints the token and the remote prints the description: neither carries a control character.
    if ('access_token' in r && !/^[A-Za-z0-9\-._~+/]+=*$/.test(r.access_token)) {
      throw new Finding('failure', 'an access token outside RFC 6750 was accepted')
    }
    if ('description' in r && CONTROL.test(r.description)) {
      throw new Finding('failure', 'a description with a control character was accepted as is')
    }
  })
})
