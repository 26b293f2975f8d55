// The fuzz campaign's entry: every parser's property suite (imported, so it runs here with the same
// AUTHKEEP_FUZZ_RUNS), plus a bounded slice through the built CLI, then one CAMPAIGN line per area.
import '../../src/agent/protocol.fuzz.test.js'
import '../../src/keepalive/state.fuzz.test.js'
import '../../src/oauth/pastedInput.fuzz.test.js'
import '../../src/oauth/serverText.fuzz.test.js'
import '../../src/oauth/tokenAnswers.fuzz.test.js'
import '../../src/ports/environment.fuzz.test.js'
import '../../src/profiles/configFile.fuzz.test.js'
import '../../src/stores/backups.fuzz.test.js'
import '../../src/stores/claudeCodeStore.fuzz.test.js'
import '../../src/stores/codexStore.fuzz.test.js'
import '../../src/stores/copilotStore.fuzz.test.js'
import '../../src/stores/credentialStore.fuzz.test.js'
import '../../src/stores/fileKinds.fuzz.test.js'
import '../../src/stores/geminiStore.fuzz.test.js'
import '../../src/stores/keyStore.fuzz.test.js'
import '../../src/usecases/claudeSettings.fuzz.test.js'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { ExitCode } from '../../src/errors.js'
import {
  assertShowable,
  assertUnchanged,
  campaignLines,
  Finding,
  fileContent,
  isoArb,
  MARKER,
  nastyString,
  RUNS,
  recordTrials,
  secretArb,
  snapshot,
} from '../fuzz/kit.js'
import { runCli, sandbox } from './harness.js'

// A few dozen spawned runs in the test command; a hundred in the campaign.
const CLI_RUNS = Math.min(100, Math.max(24, Math.round(RUNS / 100)))
const TABLE = new Set<number>(Object.values(ExitCode))

// A token endpoint that refuses every code at once, so a paste that parses ends quickly and offline.
let server: Server
let tokenUrl: string
before(async () => {
  server = createServer((_req, res) => {
    res.writeHead(400, { 'content-type': 'application/json' })
    res.end('{"error":"invalid_grant","error_description":"fuzz"}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  tokenUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/token`
})

after(() => {
  server?.close()
  // One line per area, for scripts/campaign.mjs.
  for (const line of campaignLines()) console.log(line)
})

interface Scenario {
  args: string[]
  files: Record<string, string | Uint8Array>
  env: Record<string, string>
  stdin: string
}

const record = fc.record({
  version: fc.constant(1),
  profile: fc.constant('work'),
  state: fc.constantFrom('active', 'login_required'),
  secrets_in: fc.constant('file'),
  expires_at: isoArb,
  obtained_at: isoArb,
  updated_at: isoArb,
  host: fc.constant('h'),
  access_token: secretArb,
  refresh_token: secretArb,
})
const claudeFile = fc.record({
  claudeAiOauth: fc.record({
    accessToken: secretArb,
    refreshToken: secretArb,
    expiresAt: fc.integer({ min: 0, max: 7_258_118_400_000 }),
    scopes: fc.constant(['user:inference']),
  }),
})
const jwtExp = fc
  .integer({ min: 0, max: 4_102_444_800 })
  .map(
    (exp) =>
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.c2ln`,
  )
const codexFile = fc.record({
  auth_mode: fc.constant('chatgpt'),
  OPENAI_API_KEY: fc.constant(null),
  tokens: fc.record({
    id_token: secretArb,
    access_token: jwtExp,
    refresh_token: secretArb,
    account_id: nastyString,
  }),
  last_refresh: isoArb,
})
const config = (token: string) =>
  fc.record({
    version: fc.constant(1),
    profiles: fc.record({
      work: fc.record({
        token_endpoint: fc.constant(token),
        authorization_endpoint: fc.constant('http://127.0.0.1:9/authorize'),
        client_id: fc.constant('fuzz'),
        store: fc.constant('file'),
      }),
    }),
  })

/** What a person or a file can hand the CLI: a config, a record, Claude's file, a paste, env values. */
function scenarios(): fc.Arbitrary<Scenario> {
  const goodConfig = JSON.stringify({
    version: 1,
    profiles: {
      work: {
        token_endpoint: tokenUrl,
        authorization_endpoint: 'http://127.0.0.1:9/authorize',
        client_id: 'fuzz',
        store: 'file',
      },
    },
  })
  return fc.oneof(
    fileContent(config(tokenUrl)).map((c) => ({
      args: ['status'],
      files: { 'authkeep/config.json': c },
      env: {},
      stdin: '',
    })),
    fileContent(record).map((c) => ({
      args: ['status', '--profile', 'work'],
      files: { 'authkeep/config.json': goodConfig, 'authkeep/state/credentials/work.json': c },
      env: {},
      stdin: '',
    })),
    fc.tuple(fileContent(claudeFile), fc.constantFrom('status', 'token', 'doctor')).map(([c, cmd]) => ({
      args: [cmd, '--profile', 'claude-code'],
      files: { 'claude/.credentials.json': c },
      env: {},
      stdin: '',
    })),
    fc.tuple(fileContent(codexFile), fc.constantFrom('status', 'token', 'doctor')).map(([c, cmd]) => ({
      args: [cmd, '--profile', 'codex'],
      files: {
        // Its refresh goes to the local server, never to OpenAI.
        'authkeep/config.json': JSON.stringify({
          version: 1,
          profiles: { codex: { token_endpoint: tokenUrl } },
        }),
        'codex/auth.json': c,
      },
      env: {},
      stdin: '',
    })),
    fc.oneof(secretArb, nastyString, fc.string({ unit: 'binary' })).map((paste) => ({
      args: ['login', '--profile', 'work', '--method', 'paste'],
      files: { 'authkeep/config.json': goodConfig },
      env: {},
      stdin: `${paste}\n`,
    })),
    // A prompt whose stdin ends at once, holds no line end, or is huge: exit 2 and one line, not a crash.
    fc
      .tuple(
        fc.constantFrom(
          ['login', '--profile', 'work', '--method', 'paste'],
          ['login', '--profile', 'work', '--method', 'handoff'],
          ['key', 'set', '--profile', 'work'],
        ),
        fc.oneof(
          fc.constant(''),
          nastyString,
          fc.nat(200_000).map((n) => 'k'.repeat(n)),
        ),
      )
      .map(([args, stdin]) => ({
        args: [...args],
        files: { 'authkeep/config.json': goodConfig },
        env: {},
        stdin,
      })),
    // A command line with an unknown option or command (with --help too): one line naming its --help.
    fc
      .tuple(fc.constantFrom('status', 'login', 'token', 'doctor', 'key', ''), nastyString)
      .map(([cmd, word]) => {
        const w = word.replace(/\0/g, '')
        return {
          args: cmd ? [cmd, `--${w}`] : [w, '--help'],
          files: { 'authkeep/config.json': goodConfig },
          env: {},
          stdin: '',
        }
      }),
    fc
      .record({
        AUTHKEEP_PROFILE: fc.oneof(secretArb, nastyString),
        AUTHKEEP_LOCK_TIMEOUT: nastyString,
        CLAUDE_CONFIG_DIR: fc.constantFrom('relative', 'claude/.credentials.json', '/proc/1/root', 'claude'),
      })
      .map((env) => ({ args: ['status'], files: { 'claude/.credentials.json': '{}' }, env, stdin: '' })),
  )
}

/** The values that must never be shown: the tokens in the files given, the pasted text, env values. */
function secretsIn(s: Scenario): string[] {
  const found: string[] = []
  const walk = (v: unknown, key: string): void => {
    if (typeof v === 'string' && /token/i.test(key) && v.includes(MARKER)) found.push(v)
    else if (typeof v === 'object' && v !== null) for (const [k, c] of Object.entries(v)) walk(c, k)
  }
  for (const content of Object.values(s.files)) {
    try {
      walk(JSON.parse(Buffer.from(content).toString('utf8')), '')
    } catch {}
  }
  for (const text of [s.stdin, ...s.args, ...Object.values(s.env)]) {
    for (const m of text.matchAll(/[A-Za-z0-9._-]*FUZZSECRET[A-Za-z0-9_-]*/g)) found.push(m[0])
  }
  return found
}

async function runScenario(s: Scenario): Promise<void> {
  const sb = await sandbox()
  try {
    sb.env.CLAUDE_CONFIG_DIR = join(sb.dir, 'claude')
    sb.env.CODEX_HOME = join(sb.dir, 'codex')
    await mkdir(join(sb.dir, 'claude'), { recursive: true, mode: 0o700 })
    for (const [rel, content] of Object.entries(s.files)) {
      const file = join(sb.dir, rel)
      await mkdir(join(file, '..'), { recursive: true, mode: 0o700 })
      await writeFile(file, content, { mode: 0o600 })
    }
    const env = { ...sb.env }
    for (const [k, v] of Object.entries(s.env)) {
      // An environment cannot hold NUL; relative CLAUDE_CONFIG_DIR values are taken from the sandbox.
      const value = v.replace(/\0/g, '')
      env[k] = k === 'CLAUDE_CONFIG_DIR' && !value.startsWith('/') ? join(sb.dir, value) : value
    }
    const secrets = secretsIn(s)
    const before = await snapshot(sb.dir)
    const r = await runCli(s.args, env, s.stdin)
    const shown = `exit ${r.code}, ${s.args.join(' ')}; stderr:\n${r.stderr}`
    if (r.code === null || !TABLE.has(r.code))
      throw new Finding('failure', `an exit code outside the table: ${shown}`)
    if (/unexpected error|^\s+at /m.test(r.stderr))
      throw new Finding('failure', `an unexpected error: ${shown}`)
    // `token` prints the access token on stdout: that is its job.
    const shownText = s.args[0] === 'token' ? r.stderr : `${r.stdout}${r.stderr}`
    if (secrets.some((secret) => shownText.includes(secret))) {
      throw new Finding('leaked', `a secret was shown: ${shown}\n${r.stdout}`)
    }
    // `status` and `doctor` report on stdout and exit 3/4 or 7/8 without an error line.
    const report = ['status', 'doctor'].includes(s.args[0] ?? '') && r.stderr === '' && r.stdout !== ''
    if (r.code !== 0 && !report) {
      // The error follows a prompt on the same line when stdin is a pipe.
      const last = r.stderr.trimEnd().split('\n').at(-1) ?? ''
      const line = last.slice(last.indexOf('authkeep: '))
      if (!last.includes('authkeep: '))
        throw new Finding('failure', `the error is not one authkeep line: ${shown}`)
      assertShowable(line, 'the error line')
      // Commands that only read must leave every file as it was; a rejected paste stores nothing.
      if (s.args[0] !== 'token' && s.args[0] !== 'doctor') await assertUnchanged(sb.dir, before)
    } else if (s.args[0] === 'status') await assertUnchanged(sb.dir, before)
  } finally {
    await sb.cleanup()
  }
}

test('the built CLI on fuzzed config, records, Claude files, pastes and env values: an exit code from the table, one error line, no secret, nothing written', async () => {
  const cases = fc.sample(scenarios(), CLI_RUNS)
  const found = { failures: 0, lost: 0, leaked: 0 }
  const problems: string[] = []
  for (const s of cases) {
    try {
      await runScenario(s)
    } catch (err) {
      const kind = err instanceof Finding ? err.kind : 'failure'
      found[kind === 'failure' ? 'failures' : kind]++
      problems.push((err as Error).message)
    }
  }
  recordTrials('cli', cases.length, found)
  if (problems.length > 0)
    throw new Error(
      `${problems.length} of ${cases.length} runs broke a property:\n${problems.slice(0, 8).join('\n\n')}`,
    )
})
