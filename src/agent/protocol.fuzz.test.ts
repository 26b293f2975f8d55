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
    if (r.ok) return
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
  })
})
