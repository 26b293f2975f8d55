import { test } from 'node:test'
import fc from 'fast-check'
import * as oidc from 'openid-client'
import {
  assertCleanError,
  Finding,
  MARKER,
  nastyString,
  runProperty,
  secretArb,
} from '../../test/fuzz/kit.js'
import { Secret } from '../secret.js'
import { toAuthkeepError } from './protocolErrors.js'
import { credentialFromTokens } from './tokenResponse.js'

// What a token endpoint says is the server's to choose: any error, any description, any token. What
// authkeep makes of it is one printable line that masks the tokens it sent, or a clean refusal.
const AREA = 'server-text'

// A secret the server makes up cannot be known to be one: only the tokens authkeep sent are masked.
const said = nastyString.filter((s) => !s.includes(MARKER))
const answer = fc.record({
  status: fc.constantFrom(400, 401, 429, 503),
  error: fc.oneof(fc.constantFrom('invalid_grant', 'invalid_client', 'temporarily_unavailable'), said),
  description: fc.option(said, { nil: undefined }),
  refresh: secretArb,
  // Where the description quotes the refresh token it was sent, as some servers do.
  echo: fc.boolean(),
})

test('a server error: one printable line, the tokens sent masked', async () => {
  await runProperty(AREA, answer, ({ status, error, description, refresh, echo }) => {
    const error_description = echo ? `${description ?? ''} token ${refresh} refused` : description
    const err = new oidc.ResponseBodyError('server error', {
      cause: { error, error_description },
      response: new Response(null, { status }),
    })
    const mapped = toAuthkeepError(err, {
      profile: 'p',
      action: 'refresh the token',
      next: 'authkeep refresh --profile p',
      secrets: [new Secret(refresh)],
    })
    // One line, no control character, and no MARKER: the refresh token sent is masked where echoed.
    assertCleanError(mapped)
  })
})

const tokens = fc.record({
  access_token: fc.oneof(secretArb, nastyString),
  refresh_token: fc.option(fc.oneof(secretArb, nastyString), { nil: undefined }),
  token_type: fc.constant('bearer'),
  expires_in: fc.constant(3600),
})

test('a token response: kept only when every token is in its RFC syntax, else a clean refusal', async () => {
  await runProperty(AREA, tokens, (t) => {
    let c: ReturnType<typeof credentialFromTokens>
    try {
      c = credentialFromTokens(t as oidc.TokenEndpointResponse, {
        profile: 'p',
        now: new Date(0),
        host: 'h',
        secretsIn: 'file',
      })
    } catch (err) {
      assertCleanError(err)
      return
    }
    const access = c.accessToken?.reveal() ?? ''
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(access)) {
      throw new Finding('failure', `an access token outside RFC 6750 was kept: ${JSON.stringify(access)}`)
    }
    if (/[^\x20-\x7e]/.test(c.refreshToken?.reveal() ?? '')) {
      throw new Finding('failure', 'a refresh token with a control character was kept')
    }
  })
})
