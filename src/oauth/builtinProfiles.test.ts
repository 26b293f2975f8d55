import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Environment } from '../ports/environment.js'
import { COPILOT_DEFAULTS, copilotHost } from '../profiles/copilot.js'
import { GEMINI_DEFAULTS, publicClientSecret } from '../profiles/gemini.js'
import { toProfile } from '../profiles/profile.js'
import { splitComments } from '../stores/copilotStore.js'
import { chooseMethod } from './chooseMethod.js'
import { errorsWithStatus200 } from './errorsWithStatus200.js'

const gemini = toProfile('gemini', GEMINI_DEFAULTS)
const copilot = toProfile('copilot', COPILOT_DEFAULTS)
const env = (e: Partial<Environment>): Environment => ({
  ci: false,
  ssh: false,
  display: false,
  interactive: true,
  user: 'u',
  sshServer: undefined,
  ...e,
})

test("auto picks Gemini's paste flow (its code-assist page) on a server, the loopback flow on a desktop", () => {
  assert.equal(chooseMethod(env({ ssh: true }), gemini, 'auto').method, 'paste')
  assert.equal(chooseMethod(env({}), gemini, 'auto').method, 'paste')
  assert.equal(chooseMethod(env({ display: true }), gemini, 'auto').method, 'loopback')
  assert.equal(gemini.pasteRedirectUri, 'https://codeassist.google.com/authcode')
  assert.throws(() => chooseMethod(env({}), gemini, 'device'), /no device_authorization_endpoint/)
})

test("auto picks GitHub's device flow for Copilot everywhere: it is the only flow its app offers here", () => {
  for (const e of [env({ ssh: true }), env({}), env({ display: true })])
    assert.equal(chooseMethod(e, copilot, 'auto').method, 'device')
  assert.equal(copilotHost(copilot), 'https://github.com')
  assert.equal(
    copilotHost({ endpoints: { deviceAuthorization: 'http://127.0.0.1:9/login/device/code', token: 'x' } }),
    'http://127.0.0.1:9',
  )
})

test("Gemini's public client secret goes with Gemini's own client id only, in a form body", () => {
  assert.match(publicClientSecret(gemini) ?? '', /^GOCSPX-/)
  assert.equal(publicClientSecret({ ...gemini, clientId: 'someone-else' }), undefined)
  assert.equal(publicClientSecret({ ...copilot }), undefined)
  assert.equal(gemini.tokenRequestBody, 'form')
  assert.deepEqual(gemini.metadata.tokenEndpointAuthMethods, ['client_secret_post'])
  assert.equal(gemini.refreshMarginSeconds, 300, "google-auth-library's 5 minutes")
})

const options = { method: 'POST', headers: {}, body: undefined, redirect: 'manual' } as unknown as Parameters<
  ReturnType<typeof errorsWithStatus200>
>[1]

test("GitHub's HTTP-200 errors at the token endpoint become the 400 RFC 6749 gives them; tokens stay 200", async () => {
  const answer = (body: string) => async () => new Response(body, { status: 200 })
  const pending = errorsWithStatus200('https://gh/token', answer('{"error":"authorization_pending"}'))
  const r = await pending('https://gh/token', options)
  assert.equal(r.status, 400)
  assert.deepEqual(await r.json(), { error: 'authorization_pending' })
  const ok = errorsWithStatus200('https://gh/token', answer('{"access_token":"gho_x"}'))
  assert.equal((await ok('https://gh/token', options)).status, 200)
  const elsewhere = await pending('https://gh/user', options)
  assert.equal(elsewhere.status, 200, 'other endpoints are left alone')
})

test("Copilot's comment lines are blanked, not removed: JSON errors still point into the file", () => {
  const { comments, json } = splitComments('// a\n  // b\n{"x": "// not a comment"}\n')
  assert.deepEqual(comments, ['// a', '// b'])
  assert.deepEqual(JSON.parse(json), { x: '// not a comment' })
  assert.equal(json.split('\n').length, 4)
})
