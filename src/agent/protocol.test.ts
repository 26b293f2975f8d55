import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_REQUEST_BYTES, parseRequest, parseResponse } from './protocol.js'

const error = (line: string) => {
  const r = parseRequest(line)
  assert.equal(r.ok, false)
  return r.ok ? undefined : r.response
}

test('a valid request is accepted as it is', () => {
  const r = parseRequest('{"v":1,"op":"token","profile":"work","host":"box","force":true}')
  assert.deepEqual(r, { ok: true, request: { v: 1, op: 'token', profile: 'work', host: 'box', force: true } })
})

test('bad JSON is refused by position, without quoting the input', () => {
  const e = error('{"v":1,"op":"token","profile":"sk-secret-looking')
  assert.equal(e?.error, 'bad_request')
  assert.match(e?.description ?? '', /not valid JSON/)
  assert.doesNotMatch(e?.description ?? '', /secret/)
  assert.equal(error('null')?.error, 'bad_request')
  assert.equal(error('[]')?.error, 'bad_request')
})

test('a request longer than the limit is refused before parsing', () => {
  const e = error(`{"v":1,"op":"token","profile":"${'a'.repeat(MAX_REQUEST_BYTES)}"}`)
  assert.match(e?.description ?? '', /longer than 4096 bytes/)
})

test('a missing or different version is named as such', () => {
  assert.match(error('{"op":"token","profile":"work"}')?.description ?? '', /no version field/)
  const e = error('{"v":2,"op":"token","profile":"work","newField":1}')
  assert.equal(e?.error, 'unsupported_version')
  assert.match(e?.description ?? '', /version 2 is not supported \(this agent speaks 1\)/)
})

test('an unknown operation, field or an invalid profile name is a bad request naming the field', () => {
  assert.match(error('{"v":1,"op":"refresh_token","profile":"work"}')?.description ?? '', /field "op"/)
  assert.match(error('{"v":1,"op":"token","profile":"../x"}')?.description ?? '', /field "profile"/)
  assert.match(error('{"v":1,"op":"token","profile":"w","extra":1}')?.description ?? '', /top level|extra/)
})

test('responses are validated before use', () => {
  assert.equal(parseResponse('nope'), undefined)
  assert.equal(parseResponse('{"v":1,"access_token":"","token_type":"Bearer","source":"cached"}'), undefined)
  assert.deepEqual(parseResponse('{"v":1,"error":"denied","description":"no"}'), {
    v: 1,
    error: 'denied',
    description: 'no',
  })
  const ok = parseResponse(
    '{"v":1,"access_token":"at","token_type":"Bearer","expires_at":"2030-01-01T00:00:00.000Z","source":"refreshed"}',
  )
  assert.equal((ok as { access_token: string }).access_token, 'at')
})
