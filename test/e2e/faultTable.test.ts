import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { type AuthServer, type FaultRule, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { addProfile, assertNoSecrets, deviceLogin, runCli, type Sandbox, sandbox } from './harness.js'

// Each row gets its own server (the fault mode is server-wide) and a fresh login per round (a fault may
// consume a grant), so the rows run side by side. The campaign raises the rounds.
const ROUNDS = Math.max(1, Number(process.env.AUTHKEEP_FAULT_ROUNDS ?? 1) || 1)
const tally = { trials: 0, failures: 0, lost: 0, leaked: 0 }
after(() => {
  console.log(
    `CAMPAIGN faults trials=${tally.trials} failures=${tally.failures} lost=${tally.lost} leaked=${tally.leaked}`,
  )
})

type RecordOutcome =
  // byte for byte what it was
  | 'same'
  // the same tokens, marked as needing a login (invalid_grant keeps what was there)
  | 'marked'
  // a new grant that the server accepts
  | 'new'
  // active, with the new refresh token read from an answer that failed to parse and no access token
  | 'refreshKept'

interface Trial {
  server: AuthServer
  sb: Sandbox
  /** Every token value seen in this trial, for the leak check. */
  secrets: Set<string>
  /** Run when the trial ends. */
  cleanups: Array<() => Promise<void>>
}

interface Row {
  name: string
  fault?: FaultRule
  /** Runs after the login and before the refresh; returns the profile to refresh when not `test`. */
  arrange?: (t: Trial) => Promise<string | undefined>
  env?: Record<string, string>
  code: 0 | 1 | 4 | 6
  /** `retrying in …` lines: how many, and what the first must say. */
  retries: number
  retryLine?: RegExp
  message?: RegExp
  /** The command the error ends with, when not the one its exit code usually names (NEXT). */
  next?: string
  record: RecordOutcome
}

const NEXT: Record<number, (p: string) => string> = {
  1: (p) => `authkeep profile show ${p}`,
  4: (p) => `authkeep login --profile ${p}`,
  6: (p) => `authkeep refresh --profile ${p}`,
}

const status = (s: number, retryAfter?: number, body?: string): FaultRule['fault'] => ({
  kind: 'status',
  status: s,
  ...(retryAfter === undefined ? {} : { retryAfter }),
  ...(body === undefined ? {} : { body }),
})

/** The provider's real answer (the refresh token already rotated), edited on its way out. */
const rewrite = (edit: (body: string) => string): FaultRule['fault'] => ({ kind: 'rewrite', edit })
const UNREADABLE_200 =
  /answered the refresh of profile "test" with HTTP 200, but its answer could not be read \(.+\); the refresh token it replaced may be spent/

/** The client tries 3 times (DEFAULT_RETRY), so a persistent transient fault shows 2 retries. */
const ROWS: Row[] = [
  {
    name: '500, persistent',
    fault: { fault: status(500) },
    code: 6,
    retries: 2,
    message: /HTTP 500/,
    record: 'same',
  },
  { name: '500 once', fault: { fault: status(500), times: 1 }, code: 0, retries: 1, record: 'new' },
  {
    name: '502 without Retry-After, persistent',
    fault: { fault: status(502) },
    code: 6,
    retries: 2,
    message: /\(HTTP 502, [^)]*\); run:/,
    record: 'same',
  },
  {
    name: '502 with Retry-After: 1, once',
    fault: { fault: status(502, 1), times: 1 },
    code: 0,
    retries: 1,
    retryLine: /retrying in 1\.0s/,
    record: 'new',
  },
  {
    name: '503 without Retry-After, twice',
    fault: { fault: status(503), times: 2 },
    code: 0,
    retries: 2,
    record: 'new',
  },
  {
    name: '503 with Retry-After: 1, persistent',
    fault: { fault: status(503, 1) },
    code: 6,
    retries: 2,
    retryLine: /retrying in 1\.0s/,
    message: /HTTP 503.*the server asks to retry after 1s/,
    record: 'same',
  },
  {
    name: '503 with Retry-After: 3600 is capped, once',
    fault: { fault: status(503, 3600), times: 1 },
    code: 0,
    retries: 1,
    retryLine: /retrying in 5\.0s/,
    record: 'new',
  },
  {
    name: '429 with Retry-After: 1, persistent',
    fault: { fault: status(429, 1) },
    code: 6,
    retries: 2,
    retryLine: /retrying in 1\.0s/,
    message: /HTTP 429.*retry after 1s/,
    record: 'same',
  },
  {
    name: 'timeout (a reply slower than AUTHKEEP_HTTP_TIMEOUT)',
    // Longer than the whole CLI run: the delayed requests reach the provider only after the trial.
    fault: { fault: { kind: 'delay', ms: 20_000 } },
    env: { AUTHKEEP_HTTP_TIMEOUT: '1' },
    code: 6,
    retries: 2,
    message: /\(timeout\)/,
    record: 'same',
  },
  {
    name: 'connection reset mid-body',
    fault: { fault: { kind: 'resetMidBody' } },
    code: 6,
    retries: 2,
    record: 'same',
  },
  { name: 'connection reset', fault: { fault: { kind: 'reset' } }, code: 6, retries: 2, record: 'same' },
  {
    name: 'a slow body (completes)',
    fault: { fault: { kind: 'slowBody', ms: 2_000 } },
    code: 0,
    retries: 0,
    record: 'new',
  },
  // A 200 means the server may have taken the refresh token: never retried (issue 9, item 2).
  {
    name: 'malformed JSON',
    fault: { fault: { kind: 'malformed' } },
    code: 4,
    retries: 0,
    message: UNREADABLE_200,
    record: 'marked',
  },
  {
    name: 'a 200 with missing fields',
    fault: { fault: { kind: 'missingFields' } },
    code: 4,
    retries: 0,
    message: UNREADABLE_200,
    record: 'marked',
  },
  {
    name: 'a 200 cut short after the server rotated',
    fault: { fault: rewrite((body) => body.slice(0, body.length >> 1)) },
    code: 4,
    retries: 0,
    message: UNREADABLE_200,
    record: 'marked',
  },
  {
    name: 'a 200 without access_token after the server rotated',
    fault: { fault: rewrite((body) => JSON.stringify({ ...JSON.parse(body), access_token: undefined })) },
    code: 6,
    retries: 0,
    message: /could not be read \(.*access_token.*\); the new refresh token in it was kept/,
    record: 'refreshKept',
  },
  ...(
    [
      ['expires_in: 1e300', { expires_in: 1e300 }, /expires_in 1e\+300 is beyond ten years/],
      ['expires_in: -60', { expires_in: -60 }, /expires_in -60 is negative: taken as 0/],
      ['expires_in: 59.5', { expires_in: 59.5 }, undefined],
      [
        'expires_in: "soon"',
        { expires_in: 'soon' },
        /expires_in \(a string\) is not a number of seconds: ignored/,
      ],
      ['expires_in: "600"', { expires_in: '600' }, /expires_in "600" is a string: taken as 600/],
      ['refresh_expires_in: 1e300', { refresh_expires_in: 1e300 }, /refresh_expires_in 1e\+300/],
      ['refresh_expires_in: -1', { refresh_expires_in: -1 }, /refresh_expires_in -1 is negative/],
      [
        'refresh_token_expires_in: "x"',
        { refresh_token_expires_in: 'x' },
        /refresh_token_expires_in \(a string\) is not/,
      ],
    ] as const
  ).map(
    ([what, fields, note]): Row => ({
      name: `${what} in a 200 after the server rotated`,
      fault: { fault: rewrite((body) => JSON.stringify({ ...JSON.parse(body), ...fields })) },
      code: 0,
      retries: 0,
      ...(note ? { message: note } : {}),
      record: 'new',
    }),
  ),
  {
    name: 'invalid_grant (a refresh token another copy already used)',
    arrange: async ({ sb, secrets }) => {
      const old = await readFile(sb.recordFile('test'), 'utf8')
      const r = await runCli(['refresh', '--force'], sb.env)
      assert.equal(r.code, 0, r.stderr)
      for (const s of tokensOf(await sb.readRecord('test'))) secrets.add(s)
      // The copy elsewhere still holds the spent token: put it back, as a restored copy would.
      await writeFile(sb.recordFile('test'), old, { mode: 0o600 })
      return undefined
    },
    code: 4,
    retries: 0,
    message: /no longer accepts the login of profile "test" \(invalid_grant/,
    record: 'marked',
  },
  {
    name: 'a revoked grant',
    arrange: async ({ server, sb }) => {
      await server.revokeGrantOf((await sb.readRecord('test')).refresh_token as string)
      return undefined
    },
    code: 4,
    retries: 0,
    message: /\(invalid_grant/,
    record: 'marked',
  },
  {
    name: 'invalid_grant whose error_description echoes the refresh token and terminal escapes',
    arrange: async ({ server, sb }) => {
      const refresh = (await sb.readRecord('test')).refresh_token as string
      const description = `\u001b]0;owned\u0007\u001b[2Jthe refresh token ${refresh} is revoked\nsecond line`
      server.injectFault({
        fault: status(
          400,
          undefined,
          JSON.stringify({ error: 'invalid_grant', error_description: description }),
        ),
      })
      return undefined
    },
    code: 4,
    retries: 0,
    message:
      /\(invalid_grant: \\x1b\]0;owned\\x07\\x1b\[2Jthe refresh token \S*…\S{4} is revoked\\x0asecond line\)/,
    record: 'marked',
  },
  {
    name: 'a 200 whose access token holds terminal escapes (outside RFC 6750 token syntax)',
    fault: {
      fault: rewrite((body) =>
        JSON.stringify({ ...JSON.parse(body), access_token: 'abc\u001b]52;c;aGk=\u0007\u001b[2J' }),
      ),
    },
    code: 6,
    retries: 0,
    message:
      /could not be read \(its "access_token" has characters outside the token syntax of RFC 6750.*\); the new refresh token in it was kept/,
    next: 'authkeep refresh --profile test',
    record: 'refreshKept',
  },
  {
    name: 'invalid_client',
    fault: { fault: status(400, undefined, '{"error":"invalid_client"}') },
    code: 1,
    retries: 0,
    message: /refused to refresh the token for profile "test" \(HTTP 400, invalid_client\)/,
    record: 'same',
  },
  {
    name: 'a TLS error (self-signed certificate)',
    arrange: async ({ server, sb, cleanups }) => {
      const tls = await tlsServer(sb.dir)
      cleanups.push(() => new Promise<void>((r) => tls.close(() => r())))
      const { port } = tls.address() as AddressInfo
      const added = await runCli(
        [
          'profile',
          'add',
          'tls',
          '--token-endpoint',
          `https://127.0.0.1:${port}/token`,
          '--authorization-endpoint',
          server.endpoints.authorization,
          '--client-id',
          server.clientId,
          '--store',
          'file',
        ],
        sb.env,
      )
      assert.equal(added.code, 0, added.stderr)
      // The test profile's grant, now kept under a profile whose token endpoint fails its TLS handshake.
      const record = { ...(await sb.readRecord('test')), profile: 'tls' }
      await writeFile(sb.recordFile('tls'), JSON.stringify(record, null, 2), { mode: 0o600 })
      return 'tls'
    },
    // Retrying cannot fix trust: one attempt, then the way out.
    code: 1,
    retries: 0,
    message: /TLS certificate is not trusted here \(\w*SELF_SIGNED_CERT\w*\).*NODE_EXTRA_CA_CERTS/,
    next: 'authkeep doctor --online --profile tls',
    record: 'same',
  },
]

async function tlsServer(dir: string): Promise<Server> {
  const key = join(dir, 'tls.key')
  const cert = join(dir, 'tls.crt')
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ])
  const server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (_req, res) => {
    res.writeHead(500).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return server
}

function tokensOf(record: Record<string, unknown>): string[] {
  return ['access_token', 'refresh_token', 'id_token']
    .map((k) => record[k])
    .filter((v): v is string => typeof v === 'string')
}

// Any C0 control but the newline that ends a line, DEL, or a C1 control.
// biome-ignore lint/suspicious/noControlCharactersInRegex: what must never reach a terminal
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/

type Problem = { kind: 'failure' | 'lost' | 'leaked'; what: string }

async function trial(server: AuthServer, row: Row): Promise<Problem[]> {
  const problems: Problem[] = []
  const check = (kind: Problem['kind'], ok: boolean, what: string) => {
    if (!ok) problems.push({ kind, what })
  }
  server.injectFault(null)
  const sb = await sandbox()
  const cleanups: Trial['cleanups'] = []
  try {
    await addProfile(server, sb.env)
    const login = await deviceLogin(sb.env, (u) => approveWithHttp(u))
    assert.equal(login.code, 0, login.stderr)
    const t: Trial = { server, sb, cleanups, secrets: new Set(tokensOf(await sb.readRecord('test'))) }
    const profile = (await row.arrange?.(t)) ?? 'test'
    const beforeText = await readFile(sb.recordFile(profile), 'utf8')
    const before = JSON.parse(beforeText) as Record<string, unknown>
    for (const s of tokensOf(before)) t.secrets.add(s)

    if (row.fault) server.injectFault(row.fault)
    // The row's environment applies to this command only: a 1 s HTTP timeout would fail a loaded login.
    const r = await runCli(['refresh', '--force', '--profile', profile], { ...sb.env, ...row.env })
    server.injectFault(null)

    const afterText = await readFile(sb.recordFile(profile), 'utf8').catch(() => '')
    let afterRecord: Record<string, unknown> | undefined
    try {
      afterRecord = JSON.parse(afterText)
    } catch {}
    check('lost', afterRecord !== undefined, `the record is gone or torn: ${afterText.slice(0, 80)}`)
    for (const s of tokensOf(afterRecord ?? {})) t.secrets.add(s)

    try {
      assertNoSecrets([r.stdout, r.stderr], [...t.secrets])
    } catch (err) {
      check('leaked', false, (err as Error).message)
    }
    check('failure', r.signal === null, `killed by ${r.signal}`)
    // Whatever the server said reaches the terminal as text: no ESC, BEL or other control character.
    check(
      'failure',
      !CONTROL.test(r.stdout + r.stderr),
      `a raw control character: ${JSON.stringify(r.stderr)}`,
    )
    const reason = String(afterRecord?.state_reason ?? '')
    check('leaked', ![...t.secrets].some((s) => reason.includes(s)), `a secret in state_reason: ${reason}`)
    check(
      'failure',
      !CONTROL.test(reason),
      `a raw control character in state_reason: ${JSON.stringify(reason)}`,
    )
    check('failure', !/\n\s+at |unexpected error/.test(r.stderr), `a crash: ${r.stderr}`)
    check('failure', r.code === row.code, `exit ${r.code}, expected ${row.code}: ${r.stderr}`)
    const retries = r.stderr.match(/retrying in \d+\.\ds/g) ?? []
    check(
      'failure',
      retries.length === row.retries,
      `${retries.length} retries, expected ${row.retries}: ${r.stderr}`,
    )
    if (row.retryLine) check('failure', row.retryLine.test(r.stderr), `no ${row.retryLine}: ${r.stderr}`)
    if (row.code === 0 && row.message)
      check('failure', row.message.test(r.stderr), `no note ${row.message}: ${r.stderr}`)
    if (row.code !== 0) {
      const lines = r.stderr.trim().split('\n')
      const last = lines.at(-1) ?? ''
      const next = row.next ?? NEXT[row.code]?.(profile) ?? ''
      check('failure', r.stdout === '', `stdout on failure: ${r.stdout}`)
      check('failure', lines.length === row.retries + 1, `not one line (besides retries): ${r.stderr}`)
      check(
        'failure',
        last.startsWith('authkeep: ') && last.endsWith(`; run: ${next}`),
        `no "; run: ${next}": ${last}`,
      )
      if (row.message) check('failure', row.message.test(last), `no ${row.message}: ${last}`)
    }

    if (afterRecord) {
      if (row.record === 'same')
        check('lost', afterText === beforeText, 'the record changed without a new grant')
      if (row.record === 'marked') {
        const same = ['access_token', 'refresh_token'].every((k) => afterRecord[k] === before[k])
        check('lost', same, 'the tokens changed though no grant arrived')
        check('failure', afterRecord.state === 'login_required', `state ${String(afterRecord.state)}`)
      }
      if (row.record === 'refreshKept') {
        check('lost', afterRecord.refresh_token !== before.refresh_token, 'the new refresh token was dropped')
        check('failure', afterRecord.access_token === undefined, 'an unchecked access token was kept')
        check('failure', afterRecord.state === 'active', `state ${String(afterRecord.state)}`)
      }
      if (row.record === 'new') {
        check('failure', afterRecord.refresh_token !== before.refresh_token, 'no new refresh token')
        const at = String(afterRecord.access_token)
        check('lost', (await server.userinfo(at)).status === 200, 'the new access token is refused')
      }
    }

    // The next command works, or says exactly why: nothing was lost on the way.
    if (profile === 'test') {
      const again = await runCli(['refresh', '--force'], sb.env)
      for (const s of tokensOf(await sb.readRecord('test').catch(() => ({})))) t.secrets.add(s)
      const want = row.code === 4 ? 4 : 0
      check(
        want === 0 ? 'lost' : 'failure',
        again.code === want,
        `afterwards: exit ${again.code}: ${again.stderr}`,
      )
      try {
        assertNoSecrets([again.stdout, again.stderr, r.stdout, r.stderr], [...t.secrets])
      } catch (err) {
        check('leaked', false, (err as Error).message)
      }
    }
  } finally {
    server.injectFault(null)
    for (const c of cleanups) await c()
    await sb.cleanup()
  }
  return problems
}

describe('faults at the authorization server', { concurrency: true }, () => {
  for (const row of ROWS) {
    test(`${row.name} → ${row.code === 0 ? 'retried, then a new grant' : `exit ${row.code}`}`, async () => {
      const server = await startAuthServer({ deviceInterval: 1 })
      const seen: Problem[] = []
      try {
        for (let round = 0; round < ROUNDS; round++) {
          let problems: Problem[]
          try {
            problems = await trial(server, row)
          } catch (err) {
            problems = [{ kind: 'failure', what: `the trial itself failed: ${(err as Error).stack}` }]
          }
          tally.trials += 1
          if (problems.length > 0) tally.failures += 1
          if (problems.some((p) => p.kind === 'lost')) tally.lost += 1
          if (problems.some((p) => p.kind === 'leaked')) tally.leaked += 1
          seen.push(...problems)
        }
      } finally {
        await server.close()
      }
      assert.deepEqual(seen, [])
    })
  }
})
