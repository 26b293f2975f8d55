import assert from 'node:assert/strict'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { claudeProcesses } from './claudeProcesses.js'
import { fixtureContext } from './fixtureContext.js'
import { makeProcessesShared } from './processesShared.js'

/** A /proc-shaped tree: per pid a cmdline, an environ (unless null: someone else's) and a cwd link. */
async function fakeProc(
  root: string,
  procs: Array<{ pid: number; argv: string[]; env: string[] | null; cwd?: string }>,
) {
  for (const p of procs) {
    const dir = join(root, String(p.pid))
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'cmdline'), `${p.argv.join('\0')}\0`)
    if (p.env) await writeFile(join(dir, 'environ'), `${p.env.join('\0')}\0`)
    if (p.cwd) await symlink(p.cwd, join(dir, 'cwd'))
  }
}

test("claudeProcesses: finds claude by name, by package path, resolves each one's config dir", async () => {
  const { dir, cleanup } = await fixtureContext()
  try {
    const root = join(dir, 'proc')
    const work = join(dir, 'work')
    await mkdir(work)
    await fakeProc(root, [
      { pid: 10, argv: ['claude', '--resume'], env: ['HOME=/home/a'] },
      { pid: 11, argv: ['node', '/x/node_modules/@anthropic-ai/claude-code/cli.js'], env: ['HOME=/home/b'] },
      { pid: 12, argv: ['/opt/bin/claude.exe'], env: ['HOME=/home/a', 'CLAUDE_CONFIG_DIR=/srv/c'] },
      { pid: 13, argv: ['claude'], env: ['CLAUDE_CONFIG_DIR=rel/c'], cwd: work },
      { pid: 14, argv: ['claude'], env: null },
      { pid: 15, argv: ['vim', 'claude'], env: ['HOME=/home/a'] },
    ])
    await mkdir(join(root, 'self'))
    const found = await claudeProcesses(root)
    assert.deepEqual(
      found.sort((a, b) => a.pid - b.pid),
      [
        { pid: 10, configDir: '/home/a/.claude' },
        { pid: 11, configDir: '/home/b/.claude' },
        { pid: 12, configDir: '/srv/c' },
        { pid: 13, configDir: join(work, 'rel/c') },
      ],
    )
  } finally {
    await cleanup()
  }
})

test('processes.shared: two processes on this config dir warn; one alone does not', async () => {
  const { ctx, dir, cleanup } = await fixtureContext()
  try {
    const root = join(dir, 'proc')
    const configDir = ctx.configDir as string
    await fakeProc(root, [
      { pid: 20, argv: ['claude'], env: [`CLAUDE_CONFIG_DIR=${configDir}/`] },
      { pid: 21, argv: ['claude'], env: [`HOME=${dir}`] },
    ])
    assert.deepEqual(await makeProcessesShared(root).run(ctx), [], 'pid 21 uses ~/.claude, not this dir')
    await fakeProc(root, [{ pid: 22, argv: ['claude'], env: [`CLAUDE_CONFIG_DIR=${configDir}`] }])
    const [f] = await makeProcessesShared(root).run(ctx)
    assert.equal(f?.severity, 'warning')
    assert.equal(f?.found, `2 Claude Code processes use ${configDir} (pids 20, 22)`)
    // The env variable is the seam the e2e tests use.
    assert.equal((await makeProcessesShared().run({ ...ctx, env: { AUTHKEEP_PROC_ROOT: root } })).length, 1)
  } finally {
    await cleanup()
  }
})
