#!/usr/bin/env node
/**
 * The layering check `npm run lint` runs: every import of src/ points down or sideways, never up, and no
 * module imports itself through others. It reads `import … from`, `export … from`, `import type`,
 * side-effect `import '…'` and dynamic `import('…')` of every src/**\/*.ts (tests included) and fails
 * naming the offending import.
 *
 * The floors (lower numbers are nearer the ground; a module may import its own floor or any below it):
 *   0  files/, ports/ and the loose modules (errors, errorChain, secret, printable, validation): file primitives
 *      (atomic write, private directories, file-system errors), the process's edges as small
 *      interfaces, the one error table, the masked secret type.
 *   1  lock/: proper-lockfile's mkdir locks and the wait for a record to change.
 *   2  profiles/: the profile model, built-ins, paths and the config file.
 *   3  stores/, fleet/, oauth/, ui/: one store per credential kind behind one interface (chosen by
 *      stores/index.ts; a fleet host's store and the fleet's etcd protocol in fleet/), the flows and
 *      provider quirks over openid-client, terminal ornaments.
 *   4  agent/, handoff/, install/, keepalive/, doctor/, deps.ts: the cross-machine parts and the checks; they
 *      get functions (seams), not the use cases.
 *   5  usecases/: plain functions of (deps, input).
 *   6  fast/: the `token` fast path, a separate script.
 *   7  cli/: one folder per command.
 *   8  main.ts: the composition root.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src')

const FLOORS = {
  files: 0,
  ports: 0,
  'errors.ts': 0,
  'secret.ts': 0,
  'printable.ts': 0,
  'errorChain.ts': 0,
  'validation.ts': 0,
  lock: 1,
  profiles: 2,
  stores: 3,
  // The fleet (issue 10): a store kind (stores/index.ts picks its host store) plus its etcd protocol.
  fleet: 3,
  oauth: 3,
  ui: 3,
  agent: 4,
  handoff: 4,
  install: 4,
  keepalive: 4,
  doctor: 4,
  'deps.ts': 4,
  usecases: 5,
  fast: 6,
  cli: 7,
  'main.ts': 8,
}

function floorOf(file) {
  const top = relative(src, file).split('/')[0]
  // A loose test sits on its module's floor; one of no single module (security.test.ts) on the top one.
  const loose = top.endsWith('.test.ts') ? top.replace(/\.test\.ts$/, '.ts') : top
  const floor = FLOORS[loose] ?? (loose === top ? undefined : FLOORS['main.ts'])
  if (floor === undefined) {
    throw new Error(`${relative(root, file)}: no floor for "${top}"; add it to scripts/checkImports.mjs`)
  }
  return floor
}

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* sources(path)
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path
  }
}

const SPECIFIERS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
]

/** Comments hold example imports now and then; strings are left alone (specifiers are strings). */
const withoutComments = (text) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')

function importsOf(file) {
  const text = withoutComments(readFileSync(file, 'utf8'))
  const found = []
  for (const re of SPECIFIERS) {
    for (const m of text.matchAll(re)) {
      const spec = m[1]
      if (!spec.startsWith('.')) continue
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'))
      const line = text.slice(0, m.index).split('\n').length
      found.push({ target, line })
    }
  }
  return found
}

const problems = []
const graph = new Map()
for (const file of sources(src)) {
  const edges = importsOf(file)
  graph.set(file, edges)
  const from = floorOf(file)
  for (const { target, line } of edges) {
    if (!target.startsWith(src)) continue
    const to = floorOf(target)
    if (to > from) {
      problems.push(
        `${relative(root, file)}:${line} imports ${relative(root, target)}, a higher floor (${to} > ${from})`,
      )
    }
  }
}

// Cycles: a depth-first walk; a module met again while still on the path closes one.
const state = new Map()
const stack = []
function visit(file) {
  state.set(file, 'open')
  stack.push(file)
  for (const { target } of graph.get(file) ?? []) {
    if (!graph.has(target)) continue
    if (state.get(target) === 'open') {
      const cycle = stack.slice(stack.indexOf(target)).concat(target)
      problems.push(`import cycle: ${cycle.map((f) => relative(root, f)).join(' → ')}`)
    } else if (!state.has(target)) visit(target)
  }
  stack.pop()
  state.set(file, 'done')
}
for (const file of graph.keys()) if (!state.has(file)) visit(file)

if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`checkImports: ${p}\n`)
  process.exit(1)
}
process.stdout.write(`checkImports: ${graph.size} modules, every import points down, no cycles\n`)
