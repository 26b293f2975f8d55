import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bypassed, proxyFor } from './proxyEnv.js'
import { redact } from './redact.js'
import { editJsonCommand, sh } from './shell.js'
import { maskUrl } from './urls.js'

test('maskUrl hides the user and password of proxy and gateway URLs', () => {
  assert.equal(maskUrl('http://me:s3cret@proxy.example:3128'), 'http://***@proxy.example:3128')
  assert.equal(maskUrl('http://proxy.example:3128/'), 'http://proxy.example:3128')
  assert.equal(maskUrl('me:s3cret@proxy:3128'), '***@proxy:3128')
  assert.equal(maskUrl('socks5://u:p@[::1]:1080'), 'socks5://***@[::1]:1080')
})

test('NO_PROXY: exact hosts, domain suffixes, ports, `*`', () => {
  const url = new URL('https://platform.claude.com/v1/oauth/token')
  assert.equal(bypassed(url, undefined), false)
  assert.equal(bypassed(url, 'localhost,127.0.0.1'), false)
  assert.equal(bypassed(url, 'claude.com'), true)
  assert.equal(bypassed(url, '.claude.com'), true)
  assert.equal(bypassed(url, '*.claude.com'), true)
  assert.equal(bypassed(url, 'laude.com'), false)
  assert.equal(bypassed(url, 'platform.claude.com:8443'), false)
  assert.equal(bypassed(url, 'platform.claude.com:443'), true)
  assert.equal(bypassed(url, ' * '), true)
  assert.equal(bypassed(new URL('http://[::1]:8080/t'), '::1'), true)
})

test("proxyFor: the scheme's variable, lower case first, then ALL_PROXY; none when bypassed", () => {
  const https = new URL('https://platform.claude.com/t')
  assert.equal(proxyFor(https, { HTTPS_PROXY: 'http://a', https_proxy: 'http://b' })?.name, 'https_proxy')
  assert.equal(proxyFor(https, { HTTP_PROXY: 'http://a', ALL_PROXY: 'http://c' })?.name, 'ALL_PROXY')
  assert.equal(proxyFor(new URL('http://h/t'), { HTTP_PROXY: 'http://a' })?.name, 'HTTP_PROXY')
  assert.equal(proxyFor(https, { HTTPS_PROXY: 'http://a', NO_PROXY: 'claude.com' }), undefined)
})

test('redact masks token-like runs and leaves paths and words alone', () => {
  const token = 'sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh'
  assert.equal(redact(`echo ${token}`), 'echo sk-ant-api03-…efgh')
  assert.equal(redact('/home/me/bin/get-key.sh --profile work'), '/home/me/bin/get-key.sh --profile work')
  assert.ok(
    !redact('Bearer eyJhbGciOiJSUzI1NiJ9eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig-nature-part').includes('eyJzdWIi'),
  )
})

test('shell words are quoted only when they must be', () => {
  assert.equal(sh('/tmp/a-b_c.json'), '/tmp/a-b_c.json')
  assert.equal(sh("/tmp/it's here"), `'/tmp/it'\\''s here'`)
  assert.match(
    editJsonCommand('/x y/settings.json', 'delete j.k'),
    /^node -e '[^']*delete j\.k[^']*' '\/x y\/settings\.json'$/,
  )
})
