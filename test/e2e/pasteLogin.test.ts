import assert from 'node:assert/strict'
import { access } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { startTmux } from '../bed/tmux.js'
import {
  AUTHORIZE_URL,
  addProfile,
  BIN,
  DEVICE_LINK,
  runCli,
  sandbox,
  spawnCli,
  waitForStderr,
} from './harness.js'

let server: AuthServer
before(async () => {
  server = await startAuthServer({ deviceInterval: 1 })
})
after(() => server?.close())

/** Reads the authorize URL off the terminal, approves it as the person would, returns the redirect. */
async function approveFromScreen(screen: string): Promise<URL> {
  const url = screen.match(AUTHORIZE_URL)?.[1]
  assert.ok(url, `no authorize URL on screen:\n${screen}`)
  const { redirectedTo } = await approveWithHttp(url)
  assert.ok(redirectedTo, 'the server redirected back with a code')
  return new URL(redirectedTo)
}

/** Runs `login --method paste` in tmux, approves the URL on screen, pastes the (edited) redirect back. */
async function pasteInTerminal(env: Record<string, string>, edit: (redirect: URL) => void = () => {}) {
  const tmux = await startTmux([process.execPath, BIN, 'login', '--method', 'paste'], { env })
  try {
    const redirect = await approveFromScreen(await tmux.waitFor(/Paste the URL or code: /))
    edit(redirect)
    await tmux.sendText(redirect.href)
    await tmux.sendEnter()
    const code = await tmux.exitCode()
    return { code, screen: await tmux.capture() }
  } finally {
    await tmux.kill()
  }
}

test('paste login in a real terminal: the whole redirect URL pasted back', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  const { code, screen } = await pasteInTerminal(sb.env)
  assert.equal(code, 0, screen)
  assert.match(screen, /✓ Logged in: profile "test"/)
  const token = await runCli(['token'], sb.env)
  assert.equal((await server.userinfo(token.stdout.trim())).status, 200)
})

test('paste login rejects a wrong state as a possible CSRF, and stores nothing', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  const { code, screen } = await pasteInTerminal(sb.env, (redirect) =>
    redirect.searchParams.set('state', 'forged-state-from-another-login'),
  )
  assert.equal(code, 1, screen)
  assert.match(
    screen,
    /possible CSRF\); nothing was stored; run: authkeep login --profile test --method paste/,
  )
  await assert.rejects(access(sb.recordFile('test')), 'no record was written')
  assert.equal(server.counts.authorization_code, 1, 'only the first test redeemed a code')
})

test('paste login from piped stdin accepts code#state', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  const child = spawnCli(['login', '--method', 'paste'], sb.env)
  const [, url] = await waitForStderr(child, AUTHORIZE_URL)
  const { redirectedTo } = await approveWithHttp(url as string)
  const params = new URL(redirectedTo as string).searchParams
  child.stdin?.end(`${params.get('code')}#${params.get('state')}\n`)
  const r = await child.output
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, '')
})

test('auto in a terminal over SSH picks the device flow and says why', async (t) => {
  const sb = await sandbox(t, { SSH_CONNECTION: '203.0.113.9 51000 198.51.100.7 22' })
  await addProfile(server, sb.env)
  const tmux = await startTmux([process.execPath, BIN, 'login'], { env: sb.env })
  try {
    const screen = await tmux.waitFor(DEVICE_LINK)
    assert.match(screen, /with the device flow \(an SSH session, and the server offers the device flow\)/)
    await approveWithHttp(screen.match(DEVICE_LINK)?.[1] as string)
    assert.equal(await tmux.exitCode(), 0, await tmux.capture())
  } finally {
    await tmux.kill()
  }
})

test('auto without a terminal (CI) fails fast with what to do instead', async (t) => {
  const sb = await sandbox(t, { CI: 'true' })
  await addProfile(server, sb.env)
  const r = await runCli(['login'], sb.env)
  assert.equal(r.code, 2)
  assert.match(
    r.stderr,
    /no person can answer a login here \(CI\).*run: authkeep login --profile test --method paste < pasted-url.txt\n$/,
  )
})

test('stdin closed at a paste prompt (paste, handoff, --complete-handoff): exit 2 and one line, nothing stored', async () => {
  const sb = await sandbox()
  const closed = 'authkeep: stdin was closed before an answer was given; nothing was stored; run: '
  const lastLine = (stderr: string) => stderr.trimEnd().split('\n').at(-1) ?? ''
  try {
    await addProfile(server, sb.env)
    const paste = await runCli(['login', '--method', 'paste'], sb.env)
    assert.equal(paste.code, 2, paste.stderr)
    assert.equal(lastLine(paste.stderr), `Paste the URL or code: ${closed}authkeep login --method paste`)

    // The remote half of a hand-off prints the line for the laptop, then finds its stdin closed.
    const remote = spawnCli(['login', '--method', 'handoff'], sb.env)
    const [, blob] = await waitForStderr(remote, /--complete-handoff (\S+)/)
    remote.stdin?.end()
    const r = await remote.output
    assert.equal(r.code, 2, r.stderr)
    assert.ok(lastLine(r.stderr).endsWith(`${closed}authkeep login --method handoff`), r.stderr)

    const laptop = await runCli(['login', '--complete-handoff', blob as string, '--method', 'paste'], sb.env)
    assert.equal(laptop.code, 2, laptop.stderr)
    assert.ok(lastLine(laptop.stderr).includes(closed), laptop.stderr)
    for (const text of [paste.stderr, r.stderr, laptop.stderr]) assert.doesNotMatch(text, /unexpected error/)
    await assert.rejects(access(sb.recordFile('test')), 'no record was written')
  } finally {
    await sb.cleanup()
  }
})
