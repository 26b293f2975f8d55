import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { chmod, chown, lstat, readdir, readFile, rename, stat, symlink } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import {
  AUTHORIZE_URL,
  assertNoSecrets,
  BIN,
  DEVICE_LINK,
  type Result,
  runCli,
  type Sandbox,
  sandbox,
  spawnCli,
  waitForStderr,
} from './harness.js'

// Other properties have their own tests elsewhere:
// - a pasted `state` that does not match: pasteLogin.test.ts "paste login rejects a wrong state…"
// - the agent socket refuses other uids: agent.test.ts "another uid is refused by the peer check itself…"
// - no secret in argv during `login --for` over ssh: handoff.test.ts (its argv sampler)

/** A pass-through to the token endpoint that records each POST body and can hold replies back. */
interface Recorder {
  url: string
  posts: URLSearchParams[]
  /** While set, token replies wait for it. */
  hold: Promise<void> | undefined
  close(): Promise<void>
}

async function recordingProxy(target: string): Promise<Recorder> {
  const rec: Recorder = { url: '', posts: [], hold: undefined, close: async () => {} }
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    if (req.method === 'POST') rec.posts.push(new URLSearchParams(body.toString('utf8')))
    await rec.hold
    try {
      const up = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers: Object.fromEntries(
          ['content-type', 'accept', 'authorization']
            .map((h) => [h, req.headers[h]])
            .filter((e): e is [string, string] => typeof e[1] === 'string'),
        ),
        ...(req.method === 'POST' ? { body } : {}),
        signal: AbortSignal.timeout(10_000),
      })
      const type = up.headers.get('content-type')
      res.writeHead(up.status, type ? { 'content-type': type } : {})
      res.end(Buffer.from(await up.arrayBuffer()))
    } catch {
      res.writeHead(502).end()
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  rec.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  rec.close = () => {
    const closed = new Promise<void>((r) => server.close(() => r()))
    server.closeAllConnections()
    return closed
  }
  return rec
}

let server: AuthServer
let proxy: Recorder
before(async () => {
  server = await startAuthServer({ deviceInterval: 1 })
  proxy = await recordingProxy(server.issuer)
})
after(async () => {
  await proxy?.close()
  await server?.close()
})

/** Profile `test`: the server's own authorize page, every back-channel request through the recorder. */
async function addRecordedProfile(env: Record<string, string>): Promise<void> {
  const r = await runCli(
    [
      'profile',
      'add',
      'test',
      '--issuer',
      server.issuer,
      '--authorization-endpoint',
      server.endpoints.authorization,
      '--token-endpoint',
      `${proxy.url}/token`,
      '--device-authorization-endpoint',
      `${proxy.url}/device/auth`,
      '--revocation-endpoint',
      `${proxy.url}/token/revocation`,
      '--client-id',
      server.clientId,
      '--scope',
      'openid offline_access',
      '--store',
      'file',
    ],
    env,
  )
  assert.equal(r.code, 0, r.stderr)
}

async function withSandbox(fn: (sb: Sandbox) => Promise<void>): Promise<void> {
  const sb = await sandbox()
  try {
    await addRecordedProfile(sb.env)
    await fn(sb)
  } finally {
    await sb.cleanup()
  }
}

function tokensOf(record: Record<string, unknown>): string[] {
  return ['access_token', 'refresh_token', 'id_token']
    .map((k) => record[k])
    .filter((v): v is string => typeof v === 'string')
}

async function deviceLogin(env: Record<string, string>): Promise<Result> {
  const child = spawnCli(['login', '--method', 'device'], env)
  child.stdin?.end()
  const [, link] = await waitForStderr(child, DEVICE_LINK)
  await approveWithHttp(link as string)
  return child.output
}

async function pasteLogin(env: Record<string, string>): Promise<{ url: URL; code: string; r: Result }> {
  const child = spawnCli(['login', '--method', 'paste'], env)
  const [, url] = await waitForStderr(child, AUTHORIZE_URL)
  const { redirectedTo } = await approveWithHttp(url as string)
  const params = new URL(redirectedTo as string).searchParams
  child.stdin?.end(`${params.get('code')}#${params.get('state')}\n`)
  return { url: new URL(url as string), code: params.get('code') as string, r: await child.output }
}

async function loopbackLogin(env: Record<string, string>): Promise<{ url: URL; code: string; r: Result }> {
  const child = spawnCli(['login', '--method', 'loopback'], env)
  child.stdin?.end()
  const [, url] = await waitForStderr(child, AUTHORIZE_URL)
  await waitForStderr(child, /Waiting for the browser/)
  const { redirectedTo } = await approveWithHttp(url as string, { deliver: true })
  const code = new URL(redirectedTo as string).searchParams.get('code') as string
  return { url: new URL(url as string), code, r: await child.output }
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url')

test('PKCE S256 always: every printed authorize URL carries an S256 challenge the token request proves', async () => {
  await withSandbox(async (sb) => {
    for (const flow of [pasteLogin, loopbackLogin]) {
      const { url, code, r } = await flow(sb.env)
      assert.equal(r.code, 0, r.stderr)
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256', `${flow.name}: ${url}`)
      const challenge = url.searchParams.get('code_challenge') ?? ''
      assert.match(challenge, /^[A-Za-z0-9_-]{43}$/, `${flow.name}: a 256-bit base64url challenge`)
      const exchange = proxy.posts.find((p) => p.get('code') === code)
      assert.ok(exchange, `${flow.name}: the code exchange went through the recorder`)
      assert.equal(exchange.get('grant_type'), 'authorization_code')
      const verifier = exchange.get('code_verifier') ?? ''
      // RFC 7636 4.1: 43 to 128 unreserved characters.
      assert.match(verifier, /^[A-Za-z0-9._~-]{43,128}$/)
      assert.equal(s256(verifier), challenge, `${flow.name}: the verifier matches the printed challenge`)
      assert.ok(!url.href.includes(verifier), 'the verifier never leaves the machine in the URL')
    }
  })
})

test('state checked: a loopback callback with a wrong state is refused, the login waits on, and nothing is stored', async () => {
  await withSandbox(async (sb) => {
    const posts = proxy.posts.length
    const child = spawnCli(['login', '--method', 'loopback', '--timeout', '3'], sb.env)
    child.stdin?.end()
    const [, url] = await waitForStderr(child, AUTHORIZE_URL)
    await waitForStderr(child, /Waiting for the browser/)
    const { redirectedTo } = await approveWithHttp(url as string)
    const forged = new URL(redirectedTo as string)
    forged.searchParams.set('state', 'forged-state-from-another-login')
    const refused = await fetch(forged, { signal: AbortSignal.timeout(10_000) })
    assert.equal(refused.status, 400)
    // Refused and told, but a stray request does not end the login: it ends at --timeout.
    const r = await child.output
    assert.equal(r.code, 130, r.stderr)
    assert.match(
      r.stderr,
      /^authkeep: refused a callback whose state does not belong to this login \(possible CSRF\); still waiting for the right one$/m,
    )
    assert.doesNotMatch(r.stderr, /\n\s+at /)
    await assert.rejects(stat(sb.recordFile('test')), 'no record was written')
    assert.equal(proxy.posts.length, posts, 'the code was never sent to the token endpoint')
  })
})

/** Resolves with the connection error code, or 'connected'. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 5_000 })
    s.once('connect', () => {
      s.destroy()
      resolve('connected')
    })
    s.once('timeout', () => {
      s.destroy()
      resolve('timeout')
    })
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
  })
}

test('the loopback listener is bound to 127.0.0.1 only and closes after one callback', async () => {
  await withSandbox(async (sb) => {
    const child = spawnCli(['login', '--method', 'loopback'], sb.env)
    child.stdin?.end()
    const [, url] = await waitForStderr(child, AUTHORIZE_URL)
    await waitForStderr(child, /Waiting for the browser/)
    const port = Number(new URL(new URL(url as string).searchParams.get('redirect_uri') as string).port)
    assert.equal(await tryConnect('127.0.0.1', port), 'connected', 'the listener is up')
    // 127.0.0.2 reaches this machine's lo too: only a socket bound to 127.0.0.1 itself refuses it.
    const others = ['127.0.0.2', '::1']
    for (const addrs of Object.values(networkInterfaces())) {
      for (const a of addrs ?? []) if (!a.internal && !a.address.startsWith('fe80')) others.push(a.address)
    }
    for (const host of others) {
      const got = await tryConnect(host, port)
      assert.ok(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENETUNREACH'].includes(got), `${host}:${port} → ${got}`)
    }

    // Hold the code exchange so the CLI is still running when the second connection is tried.
    let release = () => {}
    proxy.hold = new Promise<void>((r) => {
      release = r
    })
    try {
      await approveWithHttp(url as string, { deliver: true })
      assert.equal(child.exitCode, null, 'still exchanging the code')
      // No second callback is served; once the listener's close has run, connections are refused.
      await assert.rejects(fetch(`http://127.0.0.1:${port}/callback?code=x&state=y`), 'a second callback')
      assert.equal(await tryConnect('127.0.0.1', port), 'ECONNREFUSED', 'a second connection is refused')
    } finally {
      proxy.hold = undefined
      release()
    }
    const r = await child.output
    assert.equal(r.code, 0, r.stderr)
  })
})

async function walk(dir: string): Promise<Array<{ path: string; mode: number; dir: boolean }>> {
  const out: Array<{ path: string; mode: number; dir: boolean }> = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    const s = await lstat(p)
    out.push({ path: p, mode: s.mode & 0o777, dir: e.isDirectory() })
    if (e.isDirectory()) out.push(...(await walk(p)))
  }
  return out
}

test('files 0600, dirs 0700; a record others can read or another user owns is refused with the fix', async () => {
  await withSandbox(async (sb) => {
    assert.equal((await deviceLogin(sb.env)).code, 0)
    assert.equal((await runCli(['refresh', '--force'], sb.env)).code, 0)
    // A second login replaces the first after a backup: backups are checked too.
    assert.equal((await deviceLogin(sb.env)).code, 0)
    const entries = await walk(sb.env.AUTHKEEP_HOME as string)
    assert.ok(
      entries.some((e) => e.path.includes('backups') && !e.dir),
      'a backup was written',
    )
    for (const e of entries) assert.equal(e.mode, e.dir ? 0o700 : 0o600, `${e.path} is ${e.mode.toString(8)}`)

    const file = sb.recordFile('test')
    const before = await readFile(file, 'utf8')
    const refused = async (re: RegExp, fix: string) => {
      for (const args of [['token'], ['refresh', '--force']]) {
        const r = await runCli(args, sb.env)
        assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`)
        assert.equal(r.stdout, '')
        assert.match(r.stderr, re)
        assert.ok(r.stderr.trim().endsWith(`; run: ${fix}`), r.stderr)
      }
      // status shows it as the state of that profile, with the same fix.
      const status = await runCli(['status'], sb.env)
      assert.equal(status.code, 3, status.stderr)
      assert.match(status.stdout, re)
      assert.ok(status.stdout.includes(`To fix, run: ${fix}`), status.stdout)
      assert.equal(await readFile(file, 'utf8'), before, 'the refused record is left as it was')
    }
    for (const mode of [0o640, 0o604, 0o660]) {
      await chmod(file, mode)
      await refused(/readable by other users \(mode 6\d\d\)/, `chmod 600 ${file}`)
    }
    await chmod(file, 0o600)
    await chown(file, 65534, 65534)
    await refused(/owned by uid 65534, not by you \(uid 0\)/, `sudo chown 0 ${file}`)
    await chown(file, 0, 0)
    assert.equal((await runCli(['token'], sb.env)).code, 0)
  })
})

test('a symlinked credential record is detected and refused; the printed fix makes it work', async () => {
  await withSandbox(async (sb) => {
    assert.equal((await deviceLogin(sb.env)).code, 0)
    const file = sb.recordFile('test')
    const elsewhere = join(sb.dir, 'elsewhere.json')
    await rename(file, elsewhere)
    await symlink(elsewhere, file)
    let fix = ''
    for (const args of [['token'], ['refresh', '--force']]) {
      const r = await runCli(args, sb.env)
      assert.equal(r.code, 3, r.stderr)
      assert.equal(r.stdout, '')
      assert.match(r.stderr, new RegExp(`test\\.json: is a symbolic link to ${elsewhere}`))
      fix = r.stderr.trim().split('; run: ')[1] ?? ''
    }
    assert.ok((await lstat(file)).isSymbolicLink(), 'the link was not replaced behind the refusal')
    const { execSync } = await import('node:child_process')
    execSync(fix, { stdio: 'ignore' })
    const s = await lstat(file)
    assert.ok(s.isFile() && (s.mode & 0o777) === 0o600)
    assert.equal((await runCli(['token'], sb.env)).code, 0)
  })
})

/** Every argv on the machine, sampled every few ms until stopped. */
function sampleArgv(): { stop(): Promise<Set<string>> } {
  const seen = new Set<string>()
  let running = true
  const loop = (async () => {
    for (let i = 0; running && i < 10_000; i++) {
      for (const e of await readdir('/proc').catch(() => [] as string[])) {
        if (!/^\d+$/.test(e)) continue
        const argv = await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '')
        if (argv) seen.add(argv.replaceAll('\0', ' '))
      }
      await new Promise((r) => setTimeout(r, 3))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return seen
    },
  }
}

test('no secret in any process argv during device, paste and loopback login, refresh and exec', async () => {
  await withSandbox(async (sb) => {
    const secrets = new Set<string>()
    const collect = async () => {
      for (const s of tokensOf(await sb.readRecord('test').catch(() => ({})))) secrets.add(s)
    }
    const sampler = sampleArgv()
    let argv: Set<string>
    try {
      assert.equal((await deviceLogin(sb.env)).code, 0)
      await collect()
      assert.equal((await pasteLogin(sb.env)).r.code, 0)
      await collect()
      assert.equal((await loopbackLogin(sb.env)).r.code, 0)
      await collect()
      assert.equal((await runCli(['refresh', '--force'], sb.env)).code, 0)
      await collect()
      const exec = await runCli(['exec', '--env', 'T', '--', 'sh', '-c', 'sleep 0.3; test -n "$T"'], sb.env)
      assert.equal(exec.code, 0, exec.stderr)
    } finally {
      argv = await sampler.stop()
    }
    await collect()
    assert.ok(secrets.size >= 8, 'tokens of four grants were collected')
    // The sampler did see the flows: the CLI's own command lines and the child exec started.
    for (const want of [`${BIN} login --method device`, `${BIN} refresh --force`, 'sh -c sleep 0.3']) {
      assert.ok(
        [...argv].some((a) => a.includes(want)),
        `the sampler missed "${want}"`,
      )
    }
    assertNoSecrets([...argv], [...secrets])
  })
})

test('no secret in any output of a session: logs, errors, --json, doctor, backups, status', async () => {
  await withSandbox(async (sb) => {
    const outputs: Result[] = []
    const secrets = new Set<string>()
    const run = async (args: string[], env = sb.env) => {
      const r = await runCli(args, env)
      outputs.push(r)
      for (const s of tokensOf(await sb.readRecord('test').catch(() => ({})))) secrets.add(s)
      return r
    }
    outputs.push(await deviceLogin(sb.env))
    for (const s of tokensOf(await sb.readRecord('test'))) secrets.add(s)
    const debug = { ...sb.env, AUTHKEEP_DEBUG: '1' }
    await run(['status'])
    await run(['status', '--json'])
    await run(['doctor', '--json', '--profile', 'test'])
    await run(['doctor', '--online', '--json', '--profile', 'test'], debug)
    await run(['refresh', '--force'], debug)
    await run(['exec', '--env', 'T', '--', 'sh', '-c', 'test -n "$T"'])
    // Errors, with the debug stack on: a transient failure, a refused client, then a revoked grant.
    server.injectFault({
      fault: { kind: 'status', status: 503, body: '{"error":"temporarily_unavailable"}' },
    })
    try {
      assert.equal((await run(['refresh', '--force'], debug)).code, 6)
    } finally {
      server.injectFault(null)
    }
    server.injectFault({ fault: { kind: 'status', status: 400, body: '{"error":"invalid_client"}' } })
    try {
      assert.equal((await run(['refresh', '--force'], debug)).code, 1)
    } finally {
      server.injectFault(null)
    }
    await server.revokeGrantOf((await sb.readRecord('test')).refresh_token as string)
    assert.equal((await run(['refresh', '--force'], debug)).code, 4)
    await run(['status', '--json'], debug)
    await run(['doctor', '--json', '--profile', 'test'], debug)
    await run(['logout'], debug)
    await run(['backups', '--json'])
    await run(['backups'])
    assert.ok(secrets.size >= 4, 'tokens of two grants were collected')
    assertNoSecrets(
      outputs.flatMap((r) => [r.stdout, r.stderr]),
      [...secrets],
    )
  })
})
