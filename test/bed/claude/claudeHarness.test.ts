// Self-tests of the Claude test bed: the real CLI, offline, sends the credential each source should
// give, refreshes through the fake token endpoint, and keeps off a file whose lock someone holds.
import assert from 'node:assert/strict'
import { chmod, mkdir, rename, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import lockfile from 'proper-lockfile'
import {
  type ClaudeRun,
  type ClaudeSandbox,
  claudeLockPaths,
  claudeSandbox,
  holdClaudeLock,
  inferenceRequests,
  type RecordedRequest,
  tokenRequests,
} from './claudeHarness.js'
import { oauthCredentials } from './credentialFixtures.js'
import { REPLY_TEXT } from './messageReplies.js'
import { MITM_HOSTS, randomSecret } from './oauthReplies.js'

async function withSandbox(t: TestContext, fn: (sb: ClaudeSandbox) => Promise<void>): Promise<void> {
  const started = Date.now()
  const sb = await claudeSandbox()
  t.diagnostic(`sandbox ready in ${Date.now() - started} ms`)
  try {
    await fn(sb)
  } finally {
    await sb.cleanup()
  }
}

function explain(r: ClaudeRun): string {
  return `exit ${r.code} after ${r.ms} ms\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nrequests: ${JSON.stringify(r.requests, null, 1)}`
}

function assertOk(r: ClaudeRun): void {
  assert.equal(r.code, 0, explain(r))
  assert.match(r.stdout, new RegExp(REPLY_TEXT), explain(r))
}

function assertEveryInference(r: ClaudeRun, check: (req: RecordedRequest) => void): RecordedRequest[] {
  const inference = inferenceRequests(r.requests)
  assert.ok(inference.length > 0, `no /v1/messages request\n${explain(r)}`)
  for (const req of inference) check(req)
  return inference
}

// Only loopback and the intercepted OAuth hosts: a tunnel anywhere else was refused, but is a leak
// the test bed should hear about.
function assertStayedLocal(sb: ClaudeSandbox, r: ClaudeRun): void {
  const local = new URL(sb.apiUrl).host
  for (const req of r.requests) {
    const host = req.host.replace(/:443$/, '')
    assert.ok(host === local || MITM_HOSTS.includes(host), `unexpected host ${req.host}\n${explain(r)}`)
  }
}

async function fileIdentity(file: string): Promise<{ ino: number; mtimeMs: number; mode: number }> {
  const s = await stat(file)
  return { ino: s.ino, mtimeMs: s.mtimeMs, mode: s.mode & 0o777 }
}

test('(a) a valid credential file is sent as a Bearer token, and only that', async (t) => {
  await withSandbox(t, async (sb) => {
    const creds = oauthCredentials()
    await sb.writeCredentials(creds.json)
    const before = await fileIdentity(sb.credentialsFile)
    const r = await sb.run()
    t.diagnostic(`claude -p ping: ${r.ms} ms`)
    assertOk(r)
    assertEveryInference(r, (req) => {
      assert.equal(req.authorization, `Bearer ${creds.accessToken}`)
      assert.equal(req.xApiKey, undefined)
      assert.match(req.anthropicBeta ?? '', /\boauth-2025-04-20\b/)
    })
    assert.deepEqual(tokenRequests(r.requests), [])
    assert.deepEqual(await fileIdentity(sb.credentialsFile), before)
    assertStayedLocal(sb, r)
  })
})

test('sandbox options: ~/.claude with no CLAUDE_CONFIG_DIR, and a config dir elsewhere', async (t) => {
  for (const opts of [{ setConfigDirEnv: false }, { configDir: 'elsewhere/claude' }]) {
    const sb = await claudeSandbox(opts)
    try {
      const creds = oauthCredentials()
      await sb.writeCredentials(creds.json)
      const r = await sb.run()
      t.diagnostic(`${JSON.stringify(opts)}: ${r.ms} ms`)
      assertOk(r)
      assertEveryInference(r, (req) => assert.equal(req.authorization, `Bearer ${creds.accessToken}`))
      // Without CLAUDE_CONFIG_DIR, .claude.json sits next to the config dir, not inside it.
      const inside = join(sb.configDir, '.claude.json')
      assert.equal(sb.claudeJson === inside, opts.setConfigDirEnv !== false)
      await assert.rejects(stat(sb.claudeJson === inside ? join(sb.home, '.claude.json') : inside))
    } finally {
      await sb.cleanup()
    }
  }
})

test('(b) ANTHROPIC_API_KEY is sent as x-api-key only', async (t) => {
  await withSandbox(t, async (sb) => {
    const key = randomSecret('sk-ant-api03')
    const r = await sb.run(['-p', 'ping'], { ANTHROPIC_API_KEY: key })
    t.diagnostic(`claude -p ping: ${r.ms} ms`)
    assertOk(r)
    assertEveryInference(r, (req) => {
      assert.equal(req.xApiKey, key)
      assert.equal(req.authorization, undefined)
      assert.doesNotMatch(req.anthropicBeta ?? '', /oauth-2025-04-20/)
    })
    assertStayedLocal(sb, r)
  })
})

test('(c) CLAUDE_CODE_OAUTH_TOKEN is sent as a Bearer token', async (t) => {
  await withSandbox(t, async (sb) => {
    const token = randomSecret('sk-ant-oat01')
    const r = await sb.run(['-p', 'ping'], { CLAUDE_CODE_OAUTH_TOKEN: token })
    t.diagnostic(`claude -p ping: ${r.ms} ms`)
    assertOk(r)
    assertEveryInference(r, (req) => {
      assert.equal(req.authorization, `Bearer ${token}`)
      assert.equal(req.xApiKey, undefined)
    })
    assertStayedLocal(sb, r)
  })
})

test('(d) the key an apiKeyHelper prints is sent, as x-api-key and as Bearer', async (t) => {
  await withSandbox(t, async (sb) => {
    const key = randomSecret('sk-ant-api03')
    const helper = join(sb.root, 'key-helper.sh')
    await writeFile(helper, `#!/bin/sh\necho '${key}'\n`)
    await chmod(helper, 0o755)
    await sb.writeSettings({ apiKeyHelper: helper })
    const r = await sb.run()
    t.diagnostic(`claude -p ping: ${r.ms} ms`)
    assertOk(r)
    assertEveryInference(r, (req) => {
      assert.equal(req.xApiKey, key)
      assert.equal(req.authorization, `Bearer ${key}`)
    })
    assertStayedLocal(sb, r)
  })
})

test('a credential outside the allow-list gets 401 and the run fails', async (t) => {
  await withSandbox(t, async (sb) => {
    const good = randomSecret('sk-ant-api03')
    await sb.setApiBehaviour({ allow: [good] })
    // An API key's 401 is retried with backoff (about ten times, over a minute); a wrong one is
    // settled after the first with no retries.
    const badKey = await sb.run(['-p', 'ping'], {
      ANTHROPIC_API_KEY: randomSecret('sk-ant-api03'),
      CLAUDE_CODE_MAX_RETRIES: '0',
    })
    t.diagnostic(`wrong API key: exit ${badKey.code} after ${badKey.ms} ms`)
    assert.equal(badKey.code, 1, explain(badKey))
    assert.match(badKey.stdout + badKey.stderr, /Invalid API key/)
    assertEveryInference(badKey, (req) => assert.equal(req.status, 401))
    // An OAuth token from the environment cannot be refreshed: one retry, then "Not logged in".
    const badToken = await sb.run(['-p', 'ping'], { CLAUDE_CODE_OAUTH_TOKEN: randomSecret('sk-ant-oat01') })
    t.diagnostic(`wrong OAuth token: exit ${badToken.code} after ${badToken.ms} ms`)
    assert.equal(badToken.code, 1, explain(badToken))
    assertEveryInference(badToken, (req) => assert.equal(req.status, 401))
    const ok = await sb.run(['-p', 'ping'], { ANTHROPIC_API_KEY: good })
    assertOk(ok)
    assertEveryInference(ok, (req) => assert.equal(req.status, 200))
  })
})

test('(e0) control: an expired file with no lock held is refreshed and rewritten', async (t) => {
  await withSandbox(t, async (sb) => {
    const creds = oauthCredentials(-60_000)
    await sb.writeCredentials(creds.json)
    const before = await fileIdentity(sb.credentialsFile)
    const r = await sb.run()
    t.diagnostic(`refresh and ping: ${r.ms} ms`)
    assertOk(r)
    const refreshes = tokenRequests(r.requests)
    assert.equal(refreshes.length, 1, explain(r))
    assert.equal(refreshes[0]?.refreshToken, creds.refreshToken)
    const issued = refreshes[0]?.issuedAccessToken
    assertEveryInference(r, (req) => assert.equal(req.authorization, `Bearer ${issued}`))
    const after = await fileIdentity(sb.credentialsFile)
    assert.notEqual(after.ino, before.ino, 'Claude replaces the file by rename')
    assert.equal(after.mode, 0o600)
    const saved = (await sb.readCredentials()) as { claudeAiOauth: Record<string, unknown> }
    assert.equal(saved.claudeAiOauth.accessToken, issued)
    assertStayedLocal(sb, r)
  })
})

test('(e) with the lock held, an expired file is left alone and the stale token is sent', async (t) => {
  await withSandbox(t, async (sb) => {
    const creds = oauthCredentials(-60_000)
    await sb.writeCredentials(creds.json)
    const before = await fileIdentity(sb.credentialsFile)
    const lock = await holdClaudeLock(sb.configDir)
    let r: ClaudeRun
    try {
      r = await sb.run(['-p', 'ping'], {}, { timeoutMs: 90_000 })
    } finally {
      await lock.release()
    }
    t.diagnostic(`Claude waited for the lock and gave up: run took ${r.ms} ms`)
    assertOk(r)
    assert.deepEqual(tokenRequests(r.requests), [], 'no refresh while the lock is held')
    assertEveryInference(r, (req) => assert.equal(req.authorization, `Bearer ${creds.accessToken}`))
    assert.deepEqual(await fileIdentity(sb.credentialsFile), before)
    assert.deepEqual(await sb.readCredentials(), creds.json)
    // Six attempts with five sleeps of 1-2 s each: anything shorter did not wait on the lock.
    assert.ok(r.ms >= 5_000, `Claude did not wait on the lock (${r.ms} ms)`)
    assertStayedLocal(sb, r)
  })
})

test('(e2) a token written under the lock is picked up once it is released, without a refresh', async (t) => {
  await withSandbox(t, async (sb) => {
    const stale = oauthCredentials(-60_000)
    await sb.writeCredentials(stale.json)
    const lock = await holdClaudeLock(sb.configDir)
    let released = false
    try {
      const running = sb.run(['-p', 'ping'], {}, { timeoutMs: 90_000 })
      // Claude is retrying by now (its first attempt comes well inside a second of starting).
      await new Promise((resolve) => setTimeout(resolve, 2_500))
      const fresh = oauthCredentials()
      const tmp = `${sb.credentialsFile}.writer`
      await writeFile(tmp, JSON.stringify(fresh.json), { mode: 0o600 })
      await rename(tmp, sb.credentialsFile)
      const written = await fileIdentity(sb.credentialsFile)
      await lock.release()
      released = true
      const r = await running
      t.diagnostic(`handed over after 2.5 s: run took ${r.ms} ms`)
      assertOk(r)
      assert.deepEqual(tokenRequests(r.requests), [])
      assertEveryInference(r, (req) => assert.equal(req.authorization, `Bearer ${fresh.accessToken}`))
      assert.deepEqual(await fileIdentity(sb.credentialsFile), written)
    } finally {
      if (!released) await lock.release()
    }
  })
})

// Pins the facts in claudeLock.ts against the binary: which directory is the lock, that either lock
// alone stops a refresh, that a lock left by a dead process is taken over after 10 s, and that the
// credential write has a lock of its own. The cases run side by side to bound the time.
test('lock facts: each lock alone blocks, .lock.lock does not, stale is 10 s, writes lock too', async (t) => {
  type Take = (configDir: string) => Promise<() => Promise<void>>
  const dirLock = (path: string) => lockfile.lock(path, { realpath: false, lockfilePath: path })
  const cases: Array<{ name: string; take: Take; refreshes: number; rewritten: boolean; waits: boolean }> = [
    {
      name: 'refresh lock alone',
      take: async (d) =>
        lockfile.lock(d, { realpath: false, lockfilePath: (await claudeLockPaths(d)).refresh }),
      refreshes: 0,
      rewritten: false,
      waits: true,
    },
    {
      name: 'legacy lock alone',
      take: async (d) => dirLock((await claudeLockPaths(d)).legacy),
      refreshes: 0,
      rewritten: false,
      waits: true,
    },
    {
      name: 'lock(".oauth_refresh.lock"), i.e. the directory .oauth_refresh.lock.lock',
      take: (d) => lockfile.lock(join(d, '.oauth_refresh.lock'), { realpath: false }),
      refreshes: 1,
      rewritten: true,
      waits: false,
    },
    {
      name: 'refresh lock directory untouched for 20 s',
      take: async (d) => {
        const { refresh } = await claudeLockPaths(d)
        await mkdir(refresh)
        const old = new Date(Date.now() - 20_000)
        await utimes(refresh, old, old)
        return async () => {}
      },
      refreshes: 1,
      rewritten: true,
      waits: false,
    },
    {
      // The refresh goes out, but the new tokens cannot be saved: a rotating server would have
      // consumed the refresh token for nothing.
      name: 'storage-write lock',
      take: (d) => lockfile.lock(join(d, '.storage-write'), { realpath: false, stale: 15_000 }),
      refreshes: 1,
      rewritten: false,
      waits: true,
    },
  ]
  await Promise.all(
    cases.map(async (c) => {
      const sb = await claudeSandbox()
      try {
        const creds = oauthCredentials(-60_000)
        await sb.writeCredentials(creds.json)
        const before = await fileIdentity(sb.credentialsFile)
        const release = await c.take(sb.configDir)
        let r: ClaudeRun
        try {
          r = await sb.run(['-p', 'ping'], {}, { timeoutMs: 90_000 })
        } finally {
          await release()
        }
        t.diagnostic(`${c.name}: ${r.ms} ms`)
        assertOk(r)
        assert.equal(tokenRequests(r.requests).length, c.refreshes, `${c.name}\n${explain(r)}`)
        const rewritten = (await fileIdentity(sb.credentialsFile)).ino !== before.ino
        assert.equal(rewritten, c.rewritten, c.name)
        assert.equal(r.ms >= 5_000, c.waits, `${c.name}: ${r.ms} ms`)
        const expected = c.rewritten ? tokenRequests(r.requests)[0]?.issuedAccessToken : creds.accessToken
        assertEveryInference(r, (req) => assert.equal(req.authorization, `Bearer ${expected}`, c.name))
      } finally {
        await sb.cleanup()
      }
    }),
  )
})

test('the namespace has only loopback, and nothing outside it can be reached', async (t) => {
  await withSandbox(t, async (sb) => {
    const links = await sb.execInNetns(['ip', '-o', 'link', 'show'])
    assert.equal(links.code, 0, links.stderr)
    const names = links.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(':')[1]?.trim())
    assert.deepEqual(names, ['lo'])
    const probe = [
      "const s=require('net').connect(443,'1.1.1.1')",
      "s.on('connect',()=>{console.log('CONNECTED');process.exit(0)})",
      "s.on('error',(e)=>{console.log(e.code);process.exit(0)})",
      's.setTimeout(3000,()=>{console.log("TIMEOUT");process.exit(0)})',
    ].join(';')
    const out = await sb.execInNetns([process.execPath, '-e', probe])
    assert.equal(out.stdout.trim(), 'ENETUNREACH', out.stderr)
    const local = await sb.execInNetns([
      process.execPath,
      '-e',
      `fetch('${sb.apiUrl}',{method:'HEAD'}).then(r=>console.log(r.status))`,
    ])
    assert.equal(local.stdout.trim(), '200', local.stderr)
    t.diagnostic('only lo; 1.1.1.1 unreachable; the fake API answers on loopback')
  })
})
