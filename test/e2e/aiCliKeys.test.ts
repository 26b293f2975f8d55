// key set / exec for the gemini and copilot built-ins: each CLI's own variables, and the ones that
// would outrank them removed for the command.
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { assertNoSecrets, runCli, sandbox } from './harness.js'

const GEMINI_KEY = 'AIzaEXECTESTGEMINIKEY-0123456789abcdefghij'
const GITHUB_TOKEN = 'github_pat_EXECTESTCOPILOT-0123456789abcdefghij'
const ACCESS = 'ya29.EXECTESTGEMINIACCESS-0123456789abcdefghij'
const show = (vars: string[]) => vars.map((v) => `${v}=\${${v}:-unset}`).join(' ')

test('gemini: a stored API key goes to GEMINI_API_KEY, the variables Gemini checks first removed', async () => {
  const sb = await sandbox()
  try {
    const set = await runCli(['key', 'set', '--profile', 'gemini'], sb.env, `${GEMINI_KEY}\n`)
    assert.equal(set.code, 0, set.stderr)
    assert.match(set.stderr, /Stored API key …ghij for profile "gemini"/)
    const env = { ...sb.env, GOOGLE_GENAI_USE_VERTEXAI: 'true', GOOGLE_GENAI_USE_GCA: 'true' }
    const vars = ['GEMINI_API_KEY', 'GOOGLE_GENAI_USE_VERTEXAI', 'GOOGLE_GENAI_USE_GCA']
    const r = await runCli(['exec', '--profile', 'gemini', '--', 'sh', '-c', `echo "${show(vars)}"`], env)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      r.stdout,
      `GEMINI_API_KEY=${GEMINI_KEY} GOOGLE_GENAI_USE_VERTEXAI=unset GOOGLE_GENAI_USE_GCA=unset\n`,
    )
    assertNoSecrets([set.stdout, set.stderr, r.stderr], [GEMINI_KEY])
  } finally {
    await sb.cleanup()
  }
})

test("gemini: the stored login's access token goes to GOOGLE_CLOUD_ACCESS_TOKEN with Gemini's Google-login switch on", async () => {
  const sb = await sandbox()
  try {
    const dir = join(sb.env.HOME as string, '.gemini')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writeFile(
      join(dir, 'oauth_creds.json'),
      JSON.stringify({ access_token: ACCESS, refresh_token: '1//r', expiry_date: Date.now() + 3_000_000 }),
      { mode: 0o600 },
    )
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({ security: { auth: { selectedType: 'vertex-ai' } } }),
    )
    const vars = ['GOOGLE_CLOUD_ACCESS_TOKEN', 'GOOGLE_GENAI_USE_GCA']
    const r = await runCli(['exec', '--profile', 'gemini', '--', 'sh', '-c', `echo "${show(vars)}"`], sb.env)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `GOOGLE_CLOUD_ACCESS_TOKEN=${ACCESS} GOOGLE_GENAI_USE_GCA=true\n`)
    assert.match(
      r.stderr,
      /selectedType "vertex-ai" in Gemini's settings\.json outranks GOOGLE_CLOUD_ACCESS_TOKEN/,
    )
    // Gemini keeps a login here: plain `status` shows the built-in without being told.
    const status = JSON.parse((await runCli(['status', '--json'], sb.env)).stdout)
    assert.deepEqual(
      status.profiles.map((p: { profile: string }) => p.profile),
      ['claude-code', 'gemini'],
    )
  } finally {
    await sb.cleanup()
  }
})

test('copilot: a stored token goes to COPILOT_GITHUB_TOKEN, the first variable Copilot reads', async () => {
  const sb = await sandbox()
  try {
    const set = await runCli(['key', 'set', '--profile', 'copilot'], sb.env, `${GITHUB_TOKEN}\n`)
    assert.equal(set.code, 0, set.stderr)
    assert.match(set.stderr, /Stored OAuth token …ghij for profile "copilot"/)
    const r = await runCli(
      ['exec', '--profile', 'copilot', '--', 'sh', '-c', `echo "${show(['COPILOT_GITHUB_TOKEN'])}"`],
      sb.env,
    )
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `COPILOT_GITHUB_TOKEN=${GITHUB_TOKEN}\n`)
    assertNoSecrets([set.stdout, set.stderr, r.stderr], [GITHUB_TOKEN])
  } finally {
    await sb.cleanup()
  }
})
