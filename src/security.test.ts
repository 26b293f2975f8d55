import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { inspect } from 'node:util'
import * as oidc from 'openid-client'
import { AuthkeepError, LoginRequiredError, ServerUnavailableError } from './errors.js'
import { toAuthkeepError } from './oauth/protocolErrors.js'

// Error objects may hold a protocol error whose response body carries a token (some servers echo one
// back). They must show it only through non-enumerable fields: never in JSON, keys, inspect or message.
const TOKEN = 'rt-SECRET-echoed-by-the-server-0123456789'
const REFRESH = 'rt-SECRET-sent-by-the-client-9876543210'

let answer = { status: 400, body: {} as Record<string, unknown> }
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(answer.status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(answer.body))
  })
})
let config: oidc.Configuration
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  config = new oidc.Configuration(
    { issuer: origin, token_endpoint: `${origin}/token` },
    'client',
    { token_endpoint_auth_method: 'none' },
    oidc.None(),
  )
  oidc.allowInsecureRequests(config)
})
after(() => new Promise<void>((r) => server.close(() => r())))

async function failedRefresh(status: number, error: string): Promise<unknown> {
  answer = { status, body: { error, error_description: 'see details', refresh_token: TOKEN } }
  try {
    await oidc.refreshTokenGrant(config, REFRESH)
  } catch (err) {
    return err
  }
  throw new Error('the refresh was expected to fail')
}

// openid-client reads the body of 4xx answers into a ResponseBodyError; a 5xx keeps the Response.
const cases: Array<[number, string, new (...a: never[]) => AuthkeepError, boolean]> = [
  [400, 'invalid_grant', LoginRequiredError, true],
  [401, 'invalid_client', AuthkeepError, true],
  [503, 'temporarily_unavailable', ServerUnavailableError, false],
]

for (const [status, code, kind, bodyRead] of cases) {
  test(`${code}: the error carries the server's answer only in non-enumerable fields`, async () => {
    const raw = await failedRefresh(status, code)
    assert.ok(raw instanceof Error)
    if (bodyRead) {
      assert.ok(raw instanceof oidc.ResponseBodyError, 'a real openid-client ResponseBodyError')
      assert.ok(inspect(raw, { depth: 5 }).includes(TOKEN), 'the raw error does hold the token')
    }
    const err = toAuthkeepError(raw, { profile: 'p', action: 'refresh the token', next: 'authkeep refresh' })
    assert.ok(err instanceof kind, `${code} maps to ${kind.name}`)

    const cause = Object.getOwnPropertyDescriptor(err, 'cause')
    assert.ok(cause, 'the cause is kept for debugging')
    assert.equal(cause.enumerable, false)
    assert.equal(cause.value, raw)
    for (const [what, text] of [
      ['JSON.stringify', JSON.stringify(err)],
      ['Object.keys', Object.keys(err).join(',')],
      ['Object.entries', JSON.stringify(Object.entries(err))],
      ['util.inspect', inspect(err, { depth: 10 })],
      ['String()', String(err)],
      ['stack', err.stack ?? ''],
      ['a spread copy', JSON.stringify({ ...err })],
    ] as const) {
      assert.ok(!text.includes(TOKEN), `${what} shows the token the server sent`)
      assert.ok(!text.includes(REFRESH), `${what} shows the refresh token`)
      assert.ok(!text.includes('"cause"'), `${what} shows the cause`)
    }
    assert.ok(!Object.keys(err).includes('cause'))
  })
}
