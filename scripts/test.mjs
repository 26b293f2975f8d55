// Runs every *.test.ts under src/ and test/ with node's own test runner.
// Node 20's --test takes no globs, so the files are listed here.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : find(p)
    return e.name.endsWith('.test.ts') ? [p] : []
  })
}

// Arguments may name files or folders; a folder stands for every test below it.
const only = process.argv.slice(2).flatMap((p) => (statSync(p).isDirectory() ? find(p) : [p]))
const files = only.length > 0 ? only : [...find('src'), ...find('test')].sort()
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
})
process.exit(r.status ?? 1)
