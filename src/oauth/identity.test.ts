import assert from 'node:assert/strict'
import { test } from 'node:test'
import { identityIn } from './identity.js'

test("identity: Anthropic's token answer and profile shapes, OpenID claims, and nothing invented", () => {
  assert.deepEqual(
    identityIn({
      access_token: 'sk-ant-oat01-secret',
      account: { uuid: 'acc-1', email_address: 'me@example.com' },
      organization: { uuid: 'org-1', name: 'Corp' },
    }),
    { email: 'me@example.com', organization: 'Corp', subject: 'acc-1' },
  )
  assert.deepEqual(
    identityIn({
      account: { email: 'me@example.com' },
      organization: { name: 'Corp', organization_type: 'claude_max' },
    }),
    { email: 'me@example.com', organization: 'Corp', subscription: 'claude_max' },
  )
  assert.deepEqual(identityIn({ sub: 'u1', email: 'a@b.c' }), { email: 'a@b.c', subject: 'u1' })
  assert.deepEqual(
    identityIn({ email: 'dev@example.test', 'https://api.openai.com/auth': { chatgpt_plan_type: 'plus' } }),
    { email: 'dev@example.test', subscription: 'plus' },
  )
  assert.deepEqual(identityIn(undefined), {})
  assert.deepEqual(identityIn({ email: 42, organization: 'x' }), {})
  // What a provider says is shown escaped: it can never drive the terminal.
  assert.deepEqual(identityIn({ email: 'a\x1b[2Jb' }), { email: 'a\\x1b[2Jb' })
})
