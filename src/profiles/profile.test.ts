import assert from 'node:assert/strict'
import { test } from 'node:test'
import { profileSchema, urlProblem } from './profile.js'

test('plain http is allowed to loopback only, unless opted in', () => {
  assert.equal(urlProblem('http://127.0.0.1:8080/token', false), undefined)
  assert.equal(urlProblem('http://[::1]:8080/token', false), undefined)
  assert.match(urlProblem('http://auth.example/token', false) ?? '', /--allow-insecure-http/)
  assert.equal(urlProblem('http://auth.example/token', true), undefined)
  assert.match(urlProblem('ftp://x/y', true) ?? '', /https/)
  assert.match(urlProblem('not a url', false) ?? '', /absolute URL/)
})

test('the schema names the failing field and keeps unknown ones', () => {
  const bad = profileSchema.safeParse({ token_endpoint: 'http://example.com/t', client_id: 'c' })
  assert.equal(bad.success, false)
  assert.deepEqual(bad.error?.issues[0]?.path, ['token_endpoint'])
  const good = profileSchema.parse({
    token_endpoint: 'https://example.com/t',
    client_id: 'c',
    future_field: 1,
  })
  assert.equal((good as Record<string, unknown>).future_field, 1)
})
