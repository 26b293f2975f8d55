import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { startTmux } from '../bed/tmux.js'
import { assertNoSecrets, BIN, runCli, sandbox, spawnCli } from './harness.js'

const API_KEY = 'sk-ant-api03-EXECTESTKEY-0123456789abcdefghij'

test('key set reads the key from stdin (never argv) and stores it 0600; exec hands it over in the environment', async () => {
  const sb = await sandbox()
  sb.env.CLAUDE_CONFIG_DIR = join(sb.dir, 'claude')
  try {
    const set = await runCli(['key', 'set'], sb.env, `${API_KEY}\n`)
    assert.equal(set.code, 0, set.stderr)
    assert.match(set.stderr, /Stored API key sk-ant-api03-…ghij for profile "claude-code"/)
    const file = join(sb.env.AUTHKEEP_HOME as string, 'state', 'keys', 'claude-code.json')
    assert.equal((await stat(file)).mode & 0o777, 0o600)

    const env = { ...sb.env, ANTHROPIC_AUTH_TOKEN: 'outranking-gateway-token', CLAUDE_CODE_USE_BEDROCK: '1' }
    const r = await runCli(
      [
        'exec',
        '--',
        'sh',
        '-c',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script, expanded by sh
        'echo "key=$ANTHROPIC_API_KEY auth=${ANTHROPIC_AUTH_TOKEN:-unset} bedrock=${CLAUDE_CODE_USE_BEDROCK:-unset}"',
      ],
      env,
    )
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, `key=${API_KEY} auth=unset bedrock=unset\n`)
    assert.match(r.stderr, /unset ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_USE_BEDROCK for the command/)
    assertNoSecrets([set.stdout, set.stderr, r.stderr], [API_KEY])
  } finally {
    await sb.cleanup()
  }
})

test("exec --mask hides the secret in the output; the exit code is the command's own; no secret in any argv", async () => {
  const sb = await sandbox()
  sb.env.CLAUDE_CONFIG_DIR = join(sb.dir, 'claude')
  try {
    assert.equal((await runCli(['key', 'set'], sb.env, API_KEY)).code, 0)
    const child = spawnCli(
      [
        'exec',
        '--mask',
        '--',
        'sh',
        '-c',
        'printf "%s" "$ANTHROPIC_API_KEY"; echo; printf "err:%s\\n" "$ANTHROPIC_API_KEY" >&2; sleep 0.5; exit 3',
      ],
      sb.env,
    )
    child.stdin?.end()
    // While it runs, no process on the machine carries the key in its command line.
    await new Promise((r) => setTimeout(r, 250))
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
      assert.ok(!cmdline.includes(API_KEY), `pid ${pid} has the key in argv`)
    }
    const r = await child.output
    assert.equal(r.code, 3)
    assert.equal(r.stdout, 'sk-ant-api03-…ghij\n')
    assert.match(r.stderr, /err:sk-ant-api03-…ghij/)
    assertNoSecrets([r.stdout, r.stderr], [API_KEY])
  } finally {
    await sb.cleanup()
  }
})

test('key set refuses empty or multi-word input without storing anything; a missing command exits 127', async (t) => {
  const sb = await sandbox(t)
  for (const bad of ['', 'two words']) {
    const r = await runCli(['key', 'set'], sb.env, `${bad}\n`)
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /nothing was stored; run: authkeep key set --profile claude-code\n$/)
  }
  const none = await runCli(['claude', 'helper'], sb.env)
  assert.equal(none.code, 4)
  assert.equal((await runCli(['key', 'set'], sb.env, API_KEY)).code, 0)
  const missing = await runCli(['exec', '--', 'no-such-command-here'], sb.env)
  assert.equal(missing.code, 127)
  assert.match(missing.stderr, /command not found: no-such-command-here/)
})

test('claude use-helper sets apiKeyHelper, keeps every other setting and a backup; the helper prints the key', async () => {
  const sb = await sandbox()
  const configDir = join(sb.dir, 'claude')
  sb.env.CLAUDE_CONFIG_DIR = configDir
  try {
    await mkdir(configDir, { recursive: true })
    const settings = { theme: 'dark', permissions: { allow: ['Bash(ls)'] }, apiKeyHelper: '/old/helper.sh' }
    await writeFile(join(configDir, 'settings.json'), JSON.stringify(settings))
    assert.equal((await runCli(['key', 'set'], sb.env, API_KEY)).code, 0)
    const r = await runCli(['claude', 'use-helper'], sb.env)
    assert.equal(r.code, 0, r.stderr)
    const after = JSON.parse(await readFile(join(configDir, 'settings.json'), 'utf8'))
    assert.equal(after.theme, 'dark')
    assert.deepEqual(after.permissions, settings.permissions)
    assert.match(after.apiKeyHelper, /claude helper --profile 'claude-code'$/)
    const backups = (await readdir(configDir)).filter((f) => f.startsWith('settings.json.authkeep-bak-'))
    assert.equal(backups.length, 1)
    assert.deepEqual(JSON.parse(await readFile(join(configDir, backups[0] as string), 'utf8')), settings)

    const ran = spawnSync('/bin/sh', ['-c', after.apiKeyHelper], { env: sb.env, encoding: 'utf8' })
    assert.equal(ran.status, 0, ran.stderr)
    assert.equal(ran.stdout, `${API_KEY}\n`)

    const off = await runCli(['claude', 'use-helper', '--off'], sb.env)
    assert.equal(off.code, 0)
    assert.equal(JSON.parse(await readFile(join(configDir, 'settings.json'), 'utf8')).apiKeyHelper, undefined)
  } finally {
    await sb.cleanup()
  }
})

test('use-helper leaves an unparseable settings.json untouched', async () => {
  const sb = await sandbox()
  const configDir = join(sb.dir, 'claude')
  sb.env.CLAUDE_CONFIG_DIR = configDir
  try {
    await mkdir(configDir, { recursive: true })
    await writeFile(join(configDir, 'settings.json'), '{"theme": "dark",')
    const r = await runCli(['claude', 'use-helper'], sb.env)
    assert.equal(r.code, 3)
    assert.match(r.stderr, /settings\.json: not valid JSON.*nothing was changed/)
    assert.equal(await readFile(join(configDir, 'settings.json'), 'utf8'), '{"theme": "dark",')
  } finally {
    await sb.cleanup()
  }
})

test('key set in a terminal: the prompt does not echo the key', async (t) => {
  const sb = await sandbox(t)
  const tmux = await startTmux([process.execPath, BIN, 'key', 'set'], { env: sb.env })
  try {
    await tmux.waitFor(/input hidden\): /)
    await tmux.sendText(API_KEY)
    await tmux.sendEnter()
    assert.equal(await tmux.exitCode(), 0, await tmux.capture())
    const screen = await tmux.capture()
    assert.ok(!screen.includes(API_KEY), screen)
    assert.match(screen, /Stored API key sk-ant-api03-…ghij/)
  } finally {
    await tmux.kill()
  }
  const r = await runCli(['claude', 'helper'], sb.env)
  assert.equal(r.stdout, `${API_KEY}\n`)
})

test('key set with stdin closed, or a key over the size limit: exit 2, one line, nothing stored', async (t) => {
  const sb = await sandbox(t)
  const closed = await runCli(['key', 'set'], sb.env)
  assert.equal(closed.code, 2, closed.stderr)
  assert.equal(
    closed.stderr,
    'authkeep: stdin was closed before an answer was given; nothing was stored; run: authkeep key set\n',
  )
  const huge = `sk-ant-api03-${'x'.repeat(20_000)}`
  const big = await runCli(['key', 'set'], sb.env, `${huge}\n`)
  assert.equal(big.code, 2, big.stderr)
  assert.match(
    big.stderr,
    /^authkeep: the key is 20013 characters long, more than the 16384 a key can be; paste exactly one key; nothing was stored; run: authkeep key set --profile claude-code\n$/,
  )
  // A stdin with no line end at all is bounded too, before it fills memory.
  const endless = await runCli(['key', 'set'], sb.env, 'k'.repeat(200_000))
  assert.equal(endless.code, 2, endless.stderr)
  assert.match(endless.stderr, /^authkeep: the answer is longer than 64 KiB; nothing was stored; run: /)
  assert.deepEqual(await readdir(sb.env.AUTHKEEP_HOME as string).catch(() => []), [])
})
