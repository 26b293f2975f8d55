#!/usr/bin/env node
// Runs the built CLI (dist/cli.js), and before it, for `authkeep token`, the hot path: a small read-only
// script (src/fast/token.ts, built to dist/fast-token.js) that serves a fresh stored token without loading
// the CLI. Every case that script is not sure of runs the full CLI, which then says what it always said.
// Both are classic scripts run with the V8 code cache the build made for them (see scripts/build.mjs).
// CommonJS, because starting Node's ESM loader alone costs about a seventh of a bare `node` start;
// bin/authkeep.mjs is the same program behind an ESM entry.
// This file is also the main script of the single executable (scripts/buildExe.mjs): there the same
// scripts and caches are assets inside the binary, and `require` is given the executable's own rules.
const { readFileSync, writeSync } = require('node:fs')
const { join } = require('node:path')
const { Script } = require('node:vm')

const DIST = join(__dirname, '..', 'dist')
const sea = singleExecutable()

/** node:sea when this runs as the single executable; undefined under node (also a Node without it). */
function singleExecutable() {
  try {
    const s = require('node:sea')
    return s.isSea() ? s : undefined
  } catch {
    return undefined
  }
}

/** dist/NAME, or the asset NAME inside the executable; a Buffer without `encoding`. */
function read(name, encoding) {
  if (!sea) return readFileSync(join(DIST, name), encoding)
  return encoding ? sea.getAsset(name, encoding) : Buffer.from(sea.getAsset(name))
}

/**
 * Inside the executable, Node's `require` loads built-ins only. Packages kept out of the bundle come
 * from elsewhere: undici (used when a proxy is set) and the fleet's etcd client are assets, and the keyring's native binding is
 * looked up as Node would from the executable's folder (its node_modules, then each parent's); when
 * it is not there, the keyring reports itself unavailable and logins use the 0600 file, saying so.
 */
function exeRequire() {
  const { builtinModules, createRequire } = require('node:module')
  const beside = createRequire(process.execPath)
  let undici
  let fleetClient
  return (id) => {
    if (id.startsWith('node:') || builtinModules.includes(id)) return require(id)
    if (id === 'undici') {
      undici ??= runScript('undici.js')
      return undici
    }
    if (id === 'etcd3' || id === 'cockatiel') {
      fleetClient ??= runScript('fleet-client.js')
      return fleetClient[id]
    }
    try {
      return beside(id)
    } catch (err) {
      if (err.code !== 'MODULE_NOT_FOUND') throw err
      throw new Error(`${id} is not installed beside ${process.execPath}`)
    }
  }
}

let load
/** Runs dist/NAME with its code cache when there is one; returns what it exports. */
function runScript(name) {
  load ??= sea ? exeRequire() : require
  const file = sea ? join(__dirname, name) : join(DIST, name)
  const source = read(name, 'utf8')
  let cachedData
  try {
    cachedData = read(/^\/\/ cache: (\S+)/.exec(source)?.[1] ?? '-')
  } catch {}
  const module = { exports: {} }
  new Script(source, { filename: file, cachedData }).runInThisContext()(
    module.exports,
    load,
    module,
    file,
    sea ? __dirname : DIST,
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
