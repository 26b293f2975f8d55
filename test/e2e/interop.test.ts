// Issue 13: a standards-compliant provider that is not configured like our default test bed. Each
// case starts oidc-provider configured the way such a server was, and drives every flow it allows.
import assert from 'node:assert/strict'
import { access, copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { type AuthServer, type InteropOptions, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import {
  AUTHORIZE_URL,
  assertNoSecrets,
  DEVICE_LINK,
  freePort,
  type Result,
  runCli,
  type Sandbox,
  sandbox,
  secretsOf,
  spawnCli,
  waitForStderr,
} from './harness.js'

type Flow = 'device' | 'paste' | 'loopback' | 'handoff'
const CLIENT_SECRET = 'interop-client-secret-0123456789abcdef'

async function withServer(interop: InteropOptions, run: (server: AuthServer) => Promise<void>) {
  const server = await startAuthServer({ deviceInterval: 1, interop })
  try {
    await run(server)
  } finally {
    await server.close()
  }
}

async function withSandbox(run: (sb: Sandbox) => Promise<void>) {
  const sb = await sandbox()
  try {
    await run(sb)
  } finally {
    await sb.cleanup()
  }
}

/** `profile add` from discovery; with `secret`, the client secret arrives on stdin, never in argv. */
async function addProfile(server: AuthServer, sb: Sandbox, extra: string[] = [], secret?: string) {
  const args = ['profile', 'add', 'test', '--issuer', server.issuer, '--client-id', server.clientId]
  args.push('--scope', 'openid offline_access', '--store', 'file', ...extra)
  const r = await runCli(secret ? [...args, '--client-secret'] : args, sb.env, secret ? `${secret}\n` : '')
  assert.equal(r.code, 0, r.stderr)
  return r
}

async function readConfig(sb: Sandbox) {
  const text = await readFile(join(sb.env.AUTHKEEP_HOME as string, 'config.json'), 'utf8')
  return { text, profile: JSON.parse(text).profiles.test as Record<string, unknown> }
}

/** One login through `flow`, approved over HTTP as a person in a browser would. */
async function login(flow: Flow, sb: Sandbox, onUrl: (url: URL) => void = () => {}): Promise<Result> {
  if (flow === 'handoff') return handoff(sb, onUrl)
  const child = spawnCli(['login', '--method', flow], sb.env)
  if (flow === 'device') {
    child.stdin?.end()
    const [, link] = await waitForStderr(child, DEVICE_LINK)
    await approveWithHttp(link as string)
    return child.output
  }
  const [, url] = await waitForStderr(child, AUTHORIZE_URL)
  onUrl(new URL(url as string))
  if (flow === 'loopback') {
    child.stdin?.end()
    await waitForStderr(child, /Waiting for the browser/)
    await approveWithHttp(url as string, { deliver: true })
    return child.output
  }
  const { redirectedTo } = await approveWithHttp(url as string)
  child.stdin?.end(`${redirectedTo}\n`)
  return child.output
}

const jwtPart = (jwt: unknown, i: 0 | 1) =>
  JSON.parse(Buffer.from(String(jwt).split('.')[i] as string, 'base64url').toString('utf8'))

/** `login --method handoff` here, completed by a second authkeep (the laptop's) with the same profile. */
async function handoff(sb: Sandbox, onUrl: (url: URL) => void): Promise<Result> {
  const remote = spawnCli(['login', '--method', 'handoff'], sb.env)
  const [, blob] = await waitForStderr(remote, /--complete-handoff (\S+)/)
  const laptop = await sandbox()
  try {
    // The laptop checks the blob against its own copy of the profile.
    await mkdir(laptop.env.AUTHKEEP_HOME as string, { recursive: true, mode: 0o700 })
    await copyFile(configFile(sb), configFile(laptop))
    const lap = spawnCli(['login', '--complete-handoff', blob as string, '--method', 'paste'], laptop.env)
    const [, url] = await waitForStderr(lap, AUTHORIZE_URL)
    onUrl(new URL(url as string))
    const { redirectedTo } = await approveWithHttp(url as string)
    lap.stdin?.end(`${redirectedTo}\n`)
    const line = await lap.output
    assert.equal(line.code, 0, line.stderr)
    remote.stdin?.end(line.stdout)
    return await remote.output
  } finally {
    await laptop.cleanup()
  }
}

/** Logs in through each flow in turn, checking the ID token's algorithm and that the server takes the access token. */
async function loginThrough(flows: Flow[], server: AuthServer, sb: Sandbox, alg = 'RS256') {
  for (const flow of flows) {
    const r = await login(flow, sb)
    assert.equal(r.code, 0, `${flow}: ${r.stderr}`)
    assert.equal(jwtPart((await sb.readRecord('test')).id_token, 0).alg, alg, flow)
    const token = await runCli(['token'], sb.env)
    assert.equal((await server.userinfo(token.stdout.trim())).status, 200, flow)
  }
}

for (const alg of ['ES256', 'PS256', 'EdDSA'] as const) {
  test(`ID tokens signed ${alg}: profile add keeps the algorithms, and every flow and refresh accept them`, async () => {
    await withServer({ idTokenAlg: alg }, (server) =>
      withSandbox(async (sb) => {
        await addProfile(server, sb)
        const { profile } = await readConfig(sb)
        assert.deepEqual(profile.id_token_signing_alg_values_supported, [alg])
        assert.equal(typeof profile.metadata_discovered_at, 'string')
        await loginThrough(['device', 'paste', 'loopback'], server, sb, alg)
        const refreshed = await runCli(['refresh', '--force'], sb.env)
        assert.equal(refreshed.code, 0, refreshed.stderr)
        assert.equal(server.counts.refresh_token, 1)
      }),
    )
  })
}

test('ID tokens signed HS256 are accepted for a client with a secret, through every flow', async () => {
  await withServer({ idTokenAlg: 'HS256', clientSecret: CLIENT_SECRET }, (server) =>
    withSandbox(async (sb) => {
      await addProfile(server, sb, [], CLIENT_SECRET)
      await loginThrough(['device', 'paste', 'loopback'], server, sb, 'HS256')
      const refreshed = await runCli(['refresh', '--force'], sb.env)
      assert.equal(refreshed.code, 0, refreshed.stderr)
      assert.equal(jwtPart((await sb.readRecord('test')).id_token, 0).alg, 'HS256')
    }),
  )
})

test('an ID token in an algorithm the profile does not accept: exit 1 naming it, nothing stored, grant revoked', async () => {
  await withServer({ idTokenAlg: 'ES256' }, (server) =>
    withSandbox(async (sb) => {
      await addProfile(server, sb)
      // As if the provider moved from RS256 to ES256 after the profile was added.
      const { text } = await readConfig(sb)
      const stale = JSON.parse(text)
      stale.profiles.test.id_token_signing_alg_values_supported = ['RS256']
      await writeFile(join(sb.env.AUTHKEEP_HOME as string, 'config.json'), JSON.stringify(stale))
      const r = await login('paste', sb)
      assert.equal(r.code, 1, r.stderr)
      assert.match(
        r.stderr,
        /the server's answer was refused here, so nothing was stored: the ID token is signed with ES256, which this profile does not accept \(it accepts RS256\); the grant the server issued was revoked; run: authkeep profile show test\n$/,
      )
      assert.equal(server.counts.authorization_code, 1)
      assert.equal(server.counts.revocation, 1)
      await assert.rejects(access(sb.recordFile('test')), 'no record was written')
    }),
  )
})

test('a refresh whose ID token the profile refuses: exit 1 naming it, the rotated refresh token kept', async () => {
  await withServer({ idTokenAlg: 'ES256' }, (server) =>
    withSandbox(async (sb) => {
      await addProfile(server, sb)
      assert.equal((await login('paste', sb)).code, 0)
      const { text } = await readConfig(sb)
      const before = (await sb.readRecord('test')).refresh_token
      // As if the provider moved to ES256 after this login, and the profile still expects RS256.
      const stale = JSON.parse(text)
      stale.profiles.test.id_token_signing_alg_values_supported = ['RS256']
      await writeFile(join(sb.env.AUTHKEEP_HOME as string, 'config.json'), JSON.stringify(stale))
      const r = await runCli(['refresh', '--force'], sb.env)
      assert.equal(r.code, 1, r.stderr)
      assert.match(
        r.stderr,
        /its answer was refused here \(the ID token is signed with ES256, which this profile does not accept \(it accepts RS256\)\); the new refresh token in it was kept for the next refresh; run: authkeep profile show test\n$/,
      )
      const kept = (await sb.readRecord('test')).refresh_token
      assert.notEqual(kept, before, 'the rotated refresh token was stored')
      // With the profile put right, the kept token refreshes: the grant was never lost.
      await writeFile(join(sb.env.AUTHKEEP_HOME as string, 'config.json'), text)
      const again = await runCli(['refresh', '--force'], sb.env)
      assert.equal(again.code, 0, again.stderr)
      assert.notEqual((await sb.readRecord('test')).refresh_token, kept)
    }),
  )
})

test('an ID token with another nonce: exit 1 naming it, nothing stored, the grant revoked', async () => {
  await withServer({ replaceNonce: 'a-nonce-from-another-login' }, (server) =>
    withSandbox(async (sb) => {
      await addProfile(server, sb)
      const r = await login('loopback', sb)
      assert.equal(r.code, 1, r.stderr)
      assert.match(
        r.stderr,
        /nothing was stored: the ID token's nonce is not this login's \(an ID token replayed or injected from another login\); the grant the server issued was revoked; run: authkeep profile show test\n$/,
      )
      assert.equal(server.counts.revocation, 1)
      await assert.rejects(access(sb.recordFile('test')), 'no record was written')
    }),
  )
})

test('an authorization response from another issuer: exit 1 naming both, no code redeemed', async () => {
  await withServer({}, (server) =>
    withSandbox(async (sb) => {
      await addProfile(server, sb)
      const { text } = await readConfig(sb)
      const config = JSON.parse(text)
      config.profiles.test.issuer = `${server.issuer}/tenant-a`
      await writeFile(join(sb.env.AUTHKEEP_HOME as string, 'config.json'), JSON.stringify(config))
      const r = await login('paste', sb)
      assert.equal(r.code, 1, r.stderr)
      assert.ok(
        r.stderr.includes(
          `nothing was stored: the authorization response comes from issuer "${server.issuer}", not the profile's issuer "${server.issuer}/tenant-a" (RFC 9207: a possible mix-up of servers); run: authkeep profile show test\n`,
        ),
        r.stderr,
      )
      assert.equal(server.counts.authorization_code, 0)
    }),
  )
})

test('a server that requires a nonce: paste, loopback and hand-off send one and check it in the ID token', async () => {
  await withServer({ requireNonce: true }, (server) =>
    withSandbox(async (sb) => {
      await addProfile(server, sb)
      for (const flow of ['paste', 'loopback', 'handoff'] as const) {
        let nonce: string | null = null
        const r = await login(flow, sb, (url) => {
          nonce = url.searchParams.get('nonce')
        })
        assert.equal(r.code, 0, `${flow}: ${r.stderr}`)
        assert.match(String(nonce), /^[\w-]{43}$/, 'a fresh 256-bit nonce')
        const claims = jwtPart((await sb.readRecord('test')).id_token, 1)
        assert.equal(claims.nonce, nonce, `${flow}: the ID token carries this login's nonce`)
      }
    }),
  )
})

test('a revocation endpoint that needs client authentication: add and logout say so, with the status', async () => {
  await withServer({ revocationRequiresClientAuth: true }, (server) =>
    withSandbox(async (sb) => {
      const added = await addProfile(server, sb)
      assert.match(added.stderr, /revocation: needs client authentication; public client\)/)
      assert.equal((await login('device', sb)).code, 0)
      const r = await runCli(['logout'], sb.env)
      assert.equal(r.code, 0, r.stderr)
      assert.match(
        r.stderr,
        /! Could not revoke the token at the server \(HTTP 401; it asks for Basic authentication; its metadata lists client_secret_basic; this profile has no client secret\); it stays valid there until it expires\.\n/,
      )
      assert.match(r.stderr, /Logged out of profile "test": NOT revoked at the server/)
    }),
  )
})

test('a confidential client (client_secret_basic): the secret is stored apart, never shown, and used to log in, refresh and revoke', async () => {
  await withServer({ clientSecret: CLIENT_SECRET, revocationRequiresClientAuth: true }, (server) =>
    withSandbox(async (sb) => {
      for (const inArgv of [[`--client-secret=${CLIENT_SECRET}`], ['--client-secret', CLIENT_SECRET]]) {
        const args = ['profile', 'add', 'test', '--issuer', server.issuer, '--client-id', server.clientId]
        const refused = await runCli([...args, ...inArgv], sb.env)
        assert.equal(refused.code, 2, refused.stderr)
        assert.match(refused.stderr, /--client-secret takes no value/)
        assertNoSecrets([refused.stderr, refused.stdout], [CLIENT_SECRET])
      }
      await assert.rejects(readConfig(sb), 'a secret in argv stores nothing')
      const added = await addProfile(server, sb, [], CLIENT_SECRET)
      const secretFile = join(sb.env.AUTHKEEP_HOME as string, 'state', 'client-secrets', 'test.json')
      assert.match(added.stderr, /revocation: yes; client secret in .*client-secrets\/test\.json\)/)
      assert.equal((await stat(secretFile)).mode & 0o777, 0o600)
      const { text } = await readConfig(sb)
      const show = await runCli(['profile', 'show', 'test'], sb.env)
      assertNoSecrets([text, show.stdout, show.stderr, added.stderr], [CLIENT_SECRET])

      await loginThrough(['device', 'paste', 'loopback'], server, sb)
      const refreshed = await runCli(['refresh', '--force'], sb.env)
      assert.equal(refreshed.code, 0, refreshed.stderr)
      const tokens = await secretsOf(sb)
      const out = await runCli(['logout'], sb.env)
      assert.equal(out.code, 0, out.stderr)
      assert.match(out.stderr, /revoked at the server/)
      assert.equal(server.counts.revocation, 1)
      assertNoSecrets([refreshed.stderr, out.stderr], [CLIENT_SECRET, ...tokens])

      const removed = await runCli(['profile', 'remove', 'test'], sb.env)
      assert.equal(removed.code, 0, removed.stderr)
      await assert.rejects(access(secretFile), 'the client secret goes with the profile')
    }),
  )
})

test('a confidential client whose server takes only client_secret_post', async () => {
  await withServer({ clientSecret: CLIENT_SECRET, authMethod: 'client_secret_post' }, (server) =>
    withSandbox(async (sb) => {
      await addProfile(server, sb, [], CLIENT_SECRET)
      await loginThrough(['paste'], server, sb)
      const out = await runCli(['logout'], sb.env)
      assert.match(out.stderr, /revoked at the server/)
      assert.equal(server.counts.revocation, 1)
    }),
  )
})

test('exact-match redirect URIs: the profile-level loopback port, for loopback, hand-off and paste', async () => {
  const port = await freePort()
  const callback = `http://127.0.0.1:${port}/callback`
  await withServer({ exactRedirectUris: [callback] }, (server) =>
    withSandbox(async (sb) => {
      await addProfile(server, sb, ['--loopback-port', String(port), '--paste-redirect-uri', callback])
      for (const flow of ['loopback', 'handoff', 'paste'] as const) {
        let redirect: string | null = null
        const r = await login(flow, sb, (url) => {
          redirect = url.searchParams.get('redirect_uri')
        })
        assert.equal(r.code, 0, `${flow}: ${r.stderr}`)
        assert.equal(redirect, callback)
      }
    }),
  )
})

test('a server that requires pushed authorization requests (RFC 9126): paste and loopback push first', async () => {
  await withServer({ requirePushedAuthorizationRequests: true }, (server) =>
    withSandbox(async (sb) => {
      await addProfile(server, sb)
      assert.equal((await readConfig(sb)).profile.require_pushed_authorization_requests, true)
      for (const flow of ['paste', 'loopback'] as const) {
        let url: URL | undefined
        const r = await login(flow, sb, (u) => {
          url = u
        })
        assert.equal(r.code, 0, `${flow}: ${r.stderr}`)
        assert.match(String(url?.searchParams.get('request_uri')), /^urn:ietf:params:oauth:request_uri:/)
        assert.equal(url?.searchParams.has('code_challenge'), false, 'the request itself went to the server')
      }
    }),
  )
})

test('a profile added before authkeep kept discovery metadata gets it at its next login', async () => {
  await withServer({ idTokenAlg: 'ES256' }, (server) =>
    withSandbox(async (sb) => {
      await addProfile(server, sb)
      const { text } = await readConfig(sb)
      const old = JSON.parse(text)
      const { issuer, authorization_endpoint, token_endpoint, client_id, scope, store } = old.profiles.test
      old.profiles.test = { issuer, authorization_endpoint, token_endpoint, client_id, scope, store }
      await writeFile(join(sb.env.AUTHKEEP_HOME as string, 'config.json'), JSON.stringify(old))
      const r = await login('paste', sb)
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /Read the discovery metadata of http:\/\/127\.0\.0\.1:\d+ for profile "test"/)
      const { profile } = await readConfig(sb)
      assert.deepEqual(profile.id_token_signing_alg_values_supported, ['ES256'])
      assert.equal(profile.scope, 'openid offline_access', 'what the person configured stays')
    }),
  )
})

const configFile = (sb: Sandbox) => join(sb.env.AUTHKEEP_HOME as string, 'config.json')
