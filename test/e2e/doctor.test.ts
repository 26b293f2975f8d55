import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { assertNoSecrets, runCli, sandbox } from './harness.js'

const hour = 3_600_000
const ACCESS = 'sk-ant-oat01-DOCTORTESTACCESSTOKEN-aaaaaaaaaaaaaaaaaaaaaaaa'
const REFRESH = 'sk-ant-ort01-DOCTORTESTREFRESHTOKEN-bbbbbbbbbbbbbbbbbbbbbbbb'
const API_KEY = 'sk-ant-api03-DOCTORTESTAPIKEY-cccccccccccccccccccccccccccc'

/** A healthy Claude Code login: a fresh access token, a refresh token, scopes as an array. */
export function healthyClaudeFile(over: Record<string, unknown> = {}) {
  return {
    claudeAiOauth: {
      accessToken: ACCESS,
      refreshToken: REFRESH,
      expiresAt: Date.now() + 8 * hour,
      scopes: ['user:inference', 'user:profile'],
      subscriptionType: 'pro',
      ...over,
    },
  }
}

/** Runs doctor for claude-code in a sandbox whose CLAUDE_CONFIG_DIR holds `file` (unless null). */
async function doctor(setup: { file?: unknown; env?: Record<string, string> }) {
  const sb = await sandbox()
  const configDir = join(sb.dir, 'claude')
  sb.env.CLAUDE_CONFIG_DIR = configDir
  Object.assign(sb.env, setup.env)
  try {
    await mkdir(configDir, { recursive: true, mode: 0o700 })
    if (setup.file !== null) {
      await writeFile(
        join(configDir, '.credentials.json'),
        JSON.stringify(setup.file ?? healthyClaudeFile()),
        {
          mode: 0o600,
        },
      )
    }
    const json = await runCli(['doctor', '--json'], sb.env)
    const text = await runCli(['doctor'], sb.env)
    return { json, text, report: JSON.parse(json.stdout), configDir }
  } finally {
    await sb.cleanup()
  }
}

test('a healthy Claude Code login: exit 0, no findings', async () => {
  const { json, report, text } = await doctor({})
  assert.equal(json.code, 0, json.stdout)
  assert.equal(report.healthy, true)
  assert.deepEqual(report.findings, [])
  assert.match(text.stdout, /no problems found/)
})

const cases: Array<{
  name: string
  file?: unknown
  env?: Record<string, string>
  id: string
  severity: string
  fix: RegExp
}> = [
  {
    name: 'no credential file',
    file: null,
    id: 'credentials.missing',
    severity: 'error',
    fix: /^authkeep login --profile claude-code$/,
  },
  {
    name: 'ANTHROPIC_API_KEY exported',
    env: { ANTHROPIC_API_KEY: API_KEY },
    id: 'env.anthropic_api_key',
    severity: 'error',
    fix: /^unset ANTHROPIC_API_KEY$/,
  },
]

for (const c of cases) {
  test(`doctor finds: ${c.name} → ${c.id}`, async () => {
    const { json, text, report } = await doctor(c)
    const f = report.findings.find((x: { id: string }) => x.id === c.id)
    assert.ok(f, `no ${c.id} in ${json.stdout}`)
    assert.equal(f.severity, c.severity)
    assert.match(f.fix, c.fix)
    assert.equal(json.code, c.severity === 'error' ? 8 : c.severity === 'warning' ? 7 : 0)
    assert.ok(text.stdout.includes(`${c.id}:`), text.stdout)
    assert.ok(text.stdout.includes(`fix: ${f.fix}`))
    assertNoSecrets([json.stdout, json.stderr, text.stdout, text.stderr], [ACCESS, REFRESH, API_KEY])
  })
}
