// doctor for the gemini and copilot built-ins: each CLI's catalogued failures, each with its fix, and
// never a secret in the report.
import assert from 'node:assert/strict'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { aiCliSandbox, copilotAt, FAKE_GITHUB } from '../bed/aiClis/aiCliSandbox.js'
import { assertNoSecrets, runCli, sandbox } from './harness.js'

interface Finding {
  id: string
  severity: string
  found: string
  fix: string | null
}
const ACCESS = 'ya29.DOCTORGEMINIACCESSTOKEN-aaaaaaaaaaaaaaaaaaaaa'
const API_KEY = 'AIzaDOCTORGEMINIAPIKEY-bbbbbbbbbbbbbbbbbbbbbbbb'
const GH_PAT = 'ghp_DOCTORCLASSICPAT-cccccccccccccccccccccccccccc'

async function doctor(args: string[], env: Record<string, string>) {
  const r = await runCli(['doctor', '--json', ...args], env)
  const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings
  return { r, findings, byId: (id: string) => findings.find((f) => f.id === id) }
}

test('doctor --profile gemini: no refresh token, an API key or settings that outrank the login, keychain mode, a broken file', async () => {
  const sb = await sandbox()
  try {
    const dir = join(sb.env.HOME as string, '.gemini')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const file = join(dir, 'oauth_creds.json')
    await writeFile(file, JSON.stringify({ access_token: ACCESS, expiry_date: Date.now() - 60_000 }), {
      mode: 0o600,
    })
    const env = { ...sb.env, GEMINI_API_KEY: API_KEY, GEMINI_FORCE_ENCRYPTED_FILE_STORAGE: 'true' }
    const first = await doctor(['--profile', 'gemini'], env)
    assert.equal(first.r.code, 8, first.r.stderr)
    assert.equal(first.byId('gemini.refresh_missing')?.fix, 'authkeep login --profile gemini')
    assert.equal(first.byId('gemini.env_auth')?.fix, 'unset GEMINI_API_KEY')
    assert.equal(first.byId('gemini.keychain')?.fix, 'unset GEMINI_FORCE_ENCRYPTED_FILE_STORAGE')
    assert.equal(first.byId('credentials.unparseable'), undefined, "Gemini's own shape is not an error")
    assertNoSecrets([first.r.stdout, first.r.stderr], [ACCESS, API_KEY])

    // settings.json's selectedType outranks the environment: then it is the one finding about it.
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }),
    )
    const second = await doctor(['--profile', 'gemini'], env)
    assert.match(
      second.byId('gemini.selected_type')?.fix ?? '',
      /settings\.json.*"selectedType": "oauth-personal"/,
    )
    assert.equal(second.byId('gemini.env_auth'), undefined)

    // Expired with a refresh token: Gemini refreshes at start-up; a bare injected token hides the file.
    await writeFile(file, JSON.stringify({ access_token: ACCESS, refresh_token: '1//r', expiry_date: 1 }), {
      mode: 0o600,
    })
    await writeFile(join(dir, 'settings.json'), '{}')
    const fourth = await doctor(['--profile', 'gemini'], { ...sb.env, GOOGLE_CLOUD_ACCESS_TOKEN: ACCESS })
    assert.equal(fourth.byId('gemini.expired')?.severity, 'info')
    assert.equal(fourth.byId('gemini.injected_token')?.fix, 'unset GOOGLE_CLOUD_ACCESS_TOKEN')
    assertNoSecrets([fourth.r.stdout], [ACCESS])

    await writeFile(file, '{"access_token": "ya29.a", "expiry_date": "soon"}', { mode: 0o600 })
    const third = await doctor(['--profile', 'gemini'], sb.env)
    const broken = third.byId('credentials.unparseable')
    assert.match(broken?.found ?? '', /oauth_creds\.json: field "expiry_date"/)
    assert.equal(broken?.fix, 'authkeep reset --profile gemini')
  } finally {
    await sb.cleanup()
  }
})

test('doctor --profile copilot: no login Copilot can read without a keychain, tokens in the environment, a broken file', async () => {
  const sb = await sandbox()
  try {
    const dir = join(sb.env.HOME as string, '.copilot')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const file = join(dir, 'config.json')
    await writeFile(file, '// managed\n{"banner": "never"}\n', { mode: 0o600 })
    const env = { ...sb.env, GH_TOKEN: GH_PAT }
    const d = await doctor(['--profile', 'copilot'], env)
    assert.equal(d.r.code, 8, d.r.stderr)
    const none = d.byId('copilot.no_keychain')
    assert.match(none?.found ?? '', /holds no login/)
    assert.equal(none?.fix, 'authkeep login --profile copilot')
    const pat = d.byId('copilot.env_token')
    assert.equal(pat?.severity, 'error', 'a classic PAT is refused by Copilot')
    assert.equal(pat?.fix, 'unset GH_TOKEN')
    assertNoSecrets([d.r.stdout, d.r.stderr], [GH_PAT])

    await writeFile(file, '// managed\n{"authTokens": []}\n', { mode: 0o600 })
    const broken = (await doctor(['--profile', 'copilot'], sb.env)).byId('credentials.unparseable')
    assert.match(broken?.found ?? '', /config\.json: field "authTokens"/)
  } finally {
    await sb.cleanup()
  }
})

test('doctor --online --profile copilot: a token GitHub refuses is an error whose fix is a new login', async () => {
  const sb = await aiCliSandbox()
  try {
    await sb.configure({
      copilot: copilotAt(sb.url),
    })
    const dir = join(sb.home, '.copilot')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const config = (token: string) =>
      `// managed\n${JSON.stringify({ authTokens: { [`${sb.url}:octocat`]: { token } }, lastLoggedInUser: { host: sb.url, login: 'octocat' } })}\n`
    await writeFile(join(dir, 'config.json'), config('gho_revokedDOCTORTOKEN-dddddddddddddddd'), {
      mode: 0o600,
    })
    const revoked = await sb.authkeep(['doctor', '--online', '--json', '--profile', 'copilot'])
    const f = (JSON.parse(revoked.stdout).findings as Finding[]).find((x) => x.id === 'copilot.online')
    assert.equal(f?.severity, 'error', revoked.stdout)
    assert.equal(f?.fix, 'authkeep reset --profile copilot')
    assertNoSecrets([revoked.stdout, revoked.stderr], ['gho_revokedDOCTORTOKEN-dddddddddddddddd'])

    await writeFile(join(dir, 'config.json'), config(FAKE_GITHUB.token), { mode: 0o600 })
    const good = await sb.authkeep(['doctor', '--online', '--json', '--profile', 'copilot'])
    assert.equal(
      (JSON.parse(good.stdout).findings as Finding[]).find((x) => x.id === 'copilot.online'),
      undefined,
      good.stdout,
    )
  } finally {
    await sb.cleanup()
  }
})

test('every gemini and copilot check has a case here', async () => {
  const { CHECKS } = await import('../../src/doctor/checks/index.js')
  const text = await readFile(import.meta.filename, 'utf8')
  const own = CHECKS.filter((c) => c.kinds?.every((k) => k === 'gemini' || k === 'copilot'))
  assert.ok(own.length >= 9)
  assert.deepEqual(
    own.map((c) => c.id).filter((id) => !text.includes(`'${id}'`)),
    [],
  )
})
