import { test } from 'node:test'
import fc from 'fast-check'
import type { TokenEndpointResponse } from 'openid-client'
import {
  assertDate,
  assertShowable,
  Finding,
  MARKER,
  nastyString,
  runProperty,
  secretArb,
} from '../../test/fuzz/kit.js'
import { LIFETIME_FIELDS } from './lifetimes.js'
import { refreshTokenIn, watchTokenAnswers } from './tokenAnswers.js'
import { credentialFromTokens } from './tokenResponse.js'

const AREA = 'token-answer'
const ENDPOINT = 'http://127.0.0.1:1/token'

const lifetime = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(1e300, -1e300, -1, 0, 0.5, Number.MAX_SAFE_INTEGER),
  fc.double().map(String),
  nastyString,
  fc.constantFrom(null, true, [], {}),
)
const answer = fc.record(
  {
    access_token: secretArb,
    token_type: fc.constantFrom('Bearer', 'bearer'),
    refresh_token: secretArb,
    expires_in: lifetime,
    refresh_expires_in: lifetime,
    refresh_token_expires_in: lifetime,
  },
  { requiredKeys: ['access_token', 'token_type'] },
)

/**
 * Any 200 a server sends: its lifetimes come out usable (a finite number in range, or absent), the notes
 * are plain lines without a token, and the stored model never holds an Invalid Date.
 */
async function check(fields: Record<string, unknown>): Promise<void> {
  const { fetch, answers } = watchTokenAnswers(ENDPOINT, async () => new Response(JSON.stringify(fields)))
  const seen = (await (await fetch(ENDPOINT, {} as never)).json()) as Record<string, unknown>
  for (const f of LIFETIME_FIELDS) {
    const v = seen[f]
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0))
      throw new Finding('failure', `${f} passed on as ${JSON.stringify(v)}`)
  }
  for (const note of answers.notes) assertShowable(note, 'a lifetime note')
  if (refreshTokenIn(answers.lastOk) !== fields.refresh_token)
    throw new Finding('lost', 'the refresh token in the answer could not be read back')
  const c = credentialFromTokens(seen as unknown as TokenEndpointResponse, {
    profile: 'p',
    now: new Date(),
    host: 'h',
    secretsIn: 'file',
  })
  assertDate(c.expiresAt, 'expiresAt')
  assertDate(c.refreshExpiresAt, 'refreshExpiresAt')
  c.expiresAt?.toISOString()
  if (JSON.stringify(answers.notes).includes(MARKER)) throw new Finding('leaked', 'a note holds a token')
}

test('token answers: any lifetime is clamped or ignored, never an Invalid Date, never a lost refresh token', () =>
  runProperty(AREA, answer, check))

test('token answers: a body that is not JSON passes through untouched, and yields no refresh token', () =>
  runProperty(AREA, fc.oneof(nastyString, secretArb), async (body) => {
    const { fetch, answers } = watchTokenAnswers(ENDPOINT, async () => new Response(body))
    const text = await (await fetch(ENDPOINT, {} as never)).text()
    // As it arrives (UTF-8 on the wire: a lone surrogate is already U+FFFD).
    if (text !== (await new Response(body).text())) throw new Finding('failure', 'the body was changed')
    const rt = refreshTokenIn(answers.lastOk)
    if (rt !== undefined && !body.includes(rt))
      throw new Finding('failure', 'a refresh token came from nowhere')
  }))
