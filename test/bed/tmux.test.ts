import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { mkdtemp, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { startTmux, type TmuxSession } from './tmux.js'

const T = { timeout: 30_000 }
const PATH = '/usr/local/bin:/usr/bin:/bin'

// Ended means gone or a zombie waiting for init to reap it.
function ended(pid: number): boolean {
  try {
    return /\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

async function withTmux(
  command: string[],
  opts: Parameters<typeof startTmux>[1],
  fn: (s: TmuxSession) => Promise<void>,
) {
  const session = await startTmux(command, opts)
  try {
    await fn(session)
  } finally {
    await session.kill()
  }
}

test('types into a program and reads its exit code', T, async () => {
  await withTmux(
    ['sh', '-c', 'printf "name? "; read x; echo got:$x; exit 3'],
    { env: { PATH } },
    async (s) => {
      await s.waitFor(/name\? /)
      await s.sendText('-n hello world')
      await s.sendEnter()
      assert.match(await s.waitFor(/got:/), /got:-n hello world/)
      assert.equal(await s.exitCode(), 3)
      // The screen stays readable after the program has ended.
      assert.match(await s.capture(), /got:-n hello world/)
    },
  )
})

test('the program sees exactly the given environment and cwd', T, async () => {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'authkeep-tmux-test-')))
  try {
    const tricky = `a b $HOME 'q' "d" \\`
    const script =
      'echo "foo=[$FOO] home=[$HOME] tmux=[$TMUX] term=[$TERM]"; pwd; env | sort | tr "\\n" " "; echo'
    await withTmux(['sh', '-c', script], { env: { PATH, FOO: tricky }, cwd: dir }, async (s) => {
      assert.equal(await s.exitCode(), 0)
      const text = await s.capture()
      assert.ok(text.includes(`foo=[${tricky}] home=[] tmux=[] term=[screen]`), text)
      assert.ok(text.includes(`\n${dir}\n`), text)
      // sh itself sets PWD; nothing else may appear.
      assert.ok(text.includes(`\nFOO=${tricky} PATH=${PATH} PWD=${dir} TERM=screen \n`), text)
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('a line longer than the pane comes back whole', T, async () => {
  const url = `http://127.0.0.1:1234/device?user_code=${'ABCD-'.repeat(80)}END`
  await withTmux(
    ['sh', '-c', `echo "open ${url} now"`],
    { env: { PATH }, width: 80, height: 20 },
    async (s) => {
      await s.exitCode()
      assert.ok((await s.capture()).includes(`open ${url} now`))
    },
  )
})

test('bounded waits fail with the screen, and kill ends a stubborn program', T, async () => {
  const s = await startTmux(['sh', '-c', 'trap "" HUP; echo "pid:$$"; sleep 30; echo survived'], {
    env: { PATH },
  })
  let pid = 0
  try {
    pid = Number((await s.waitFor(/pid:\d+/)).match(/pid:(\d+)/)?.[1])
    await assert.rejects(s.waitFor(/never/, 200), /did not appear within 200 ms[\s\S]*pid:/)
    await assert.rejects(s.exitCode(200), /did not end within 200 ms/)
  } finally {
    await s.kill()
  }
  assert.ok(pid > 0)
  assert.ok(ended(pid), `pid ${pid} still runs after kill()`)
})
