#!/usr/bin/env node
// Runs the built CLI (dist/cli.js), and before it, for `authkeep token`, the hot path: a small read-only
// script (src/fast/token.ts, built to dist/fast-token.js) that serves a fresh stored token without loading
// the CLI. Every case that script is not sure of runs the full CLI, which then says what it always said.
// Both are classic scripts run with the V8 code cache the build made for them (see scripts/build.mjs).
// CommonJS, because starting Node's ESM loader alone costs about a seventh of a bare `node` start;
// bin/authkeep.mjs is the same program behind an ESM entry.
const { readFileSync, writeSync } = require('node:fs')
const { join } = require('node:path')
const { Script } = require('node:vm')

const DIST = join(__dirname, '..', 'dist')

/** Runs dist/NAME with its code cache when there is one; returns what it exports. */
function runScript(name) {
  const file = join(DIST, name)
  const source = readFileSync(file, 'utf8')
  let cachedData
  try {
    cachedData = readFileSync(join(DIST, /^\/\/ cache: (\S+)/.exec(source)?.[1] ?? '-'))
  } catch {}
  const module = { exports: {} }
  new Script(source, { filename: file, cachedData }).runInThisContext()(
    module.exports,
    require,
    module,
    file,
    DIST,
  )
  return module.exports
}

/** The token when the fast path can serve it; undefined (never an error) when the CLI must run. */
async function fastToken(argv) {
  try {
    return await runScript('fast-token.js').freshToken(argv, process.env)
  } catch {
    return undefined
  }
}

/**
 * Straight to fd 1, without setting up process.stdout. A pipe not ready yet takes the rest the usual
 * way; a stdout that is closed or full is the CLI's to report (its output port knows how), so it runs.
 */
function print(text) {
  const bytes = Buffer.from(text)
  let done = 0
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done)
  } catch (err) {
    if (err.code === 'EAGAIN') process.stdout.write(bytes.subarray(done))
    else runScript('cli.js')
  }
}

const argv = process.argv.slice(2)
;(argv[0] === 'token' ? fastToken(argv) : Promise.resolve(undefined)).then((token) => {
  if (token === undefined) runScript('cli.js')
  else print(`${token}\n`)
})
