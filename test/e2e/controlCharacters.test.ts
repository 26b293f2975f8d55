import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { addProfile, assertNoSecrets, deviceLogin, runCli, sandbox } from './harness.js'

// What a server or a peer says reaches a terminal, a log or a stored record only as text: its control
// characters are shown as escapes, and a token it echoes back is masked.

// Any C0 control but the newline that ends a line, DEL, or a C1 control.
// biome-ignore lint/suspicious/noControlCharactersInRegex: what must never reach a terminal
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/
// Retitles the window, clears the screen, then fakes a line of authkeep's own.
const HOSTILE = '\u001b]0;owned\u0007\u001b[2J\r\nauthkeep: all good'
const SHOWN = '\\x1b]0;owned\\x07\\x1b[2J\\x0d\\x0aauthkeep: all good'

let server: AuthServer
before(async () => {
  server = await startAuthServer({ deviceInterval: 1 })
})
after(() => server?.close())

test('an error_description with terminal escapes and the refresh token: shown escaped and masked, now and later in status', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u))).code, 0)
  const record = await sb.readRecord('test')
  const refresh = record.refresh_token as string
  server.injectFault({
    fault: {
      kind: 'status',
      status: 400,
      body: JSON.stringify({ error: 'invalid_grant', error_description: `${HOSTILE} (${refresh})` }),
    },
  })
  const r = await runCli(['refresh', '--force'], sb.env)
  server.injectFault(null)
  assert.equal(r.code, 4, r.stderr)
  assert.ok(r.stderr.includes(SHOWN), r.stderr)
  assert.equal(r.stderr.split('\n').length, 2, 'one line')

  const stored = await sb.readRecord('test')
  assert.equal(stored.state, 'login_required')
  assert.ok(String(stored.state_reason).includes(SHOWN), String(stored.state_reason))

  const json = await runCli(['status', '--json'], sb.env)
  assert.equal(json.code, 4)
  const detail = JSON.parse(json.stdout).profiles[0].detail as string
  assert.match(detail, /invalid_grant: .*\(\S*…\S{4}\)/, 'the echoed refresh token is masked')
  const text = await runCli(['status'], sb.env)
  assert.ok(text.stdout.includes(SHOWN), text.stdout)
  for (const out of [r.stdout, r.stderr, json.stdout, text.stdout, text.stderr]) {
    assert.doesNotMatch(out, CONTROL)
  }
  assertNoSecrets([r.stderr, json.stdout, text.stdout, String(stored.state_reason)], [refresh])
})

test('a hand-off text whose profile name carries terminal escapes is refused, and nothing raw is printed', async (t) => {
  const sb = await sandbox(t)
  const url = `${server.endpoints.authorization}?client_id=x&state=s&code_challenge=c&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb`
  const blob = `akh1.${Buffer.from(JSON.stringify({ v: 1, profile: HOSTILE, url })).toString('base64url')}`
  const r = await runCli(['login', '--complete-handoff', blob], sb.env)
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /the hand-off text is not one that `authkeep login --method handoff` printed/)
  assert.doesNotMatch(r.stdout + r.stderr, CONTROL)
})
