// Two bundles, each one classic script `(function (exports, require, module, __filename, __dirname) {…})`
// that bin/authkeep.cjs runs through node:vm with a V8 code cache made here (Node 20 has no module compile
// cache), so neither is parsed or compiled at start-up:
// - dist/cli.js, the CLI: every command in one CommonJS bundle; a command's code is compiled only when
//   that command runs. Against the ESM bundle with split chunks it replaced, this took about 20 ms off
//   every command's start (Node's ESM loader, and compiling each module's source on every run);
// - dist/fast-token.js, the hot path of `authkeep token` (src/fast/token.ts), which bin/authkeep.cjs tries
//   before loading the CLI: minified, and read-only: code that would refresh, lock, write, or reach the
//   keyring or a token agent becomes a stub that throws, and the fast path answers any error by handing
//   over to the CLI. node:crypto is loaded on first use (the claude-code store's hash), not at start, and
//   file reads are synchronous (see syncReads).
// Each script's first line names its cache file, which carries a hash of the script: V8 itself checks
// only the source length. A cache V8 rejects (another Node) costs a normal compile, nothing else.
// The build goes to a scratch directory (dist/.build-PID) first and then replaces dist/ file by file,
// entry points last, so a CLI started meanwhile (tests in parallel) never finds dist/ half-written. The
// previous build's files stay until the next build, for processes still running on them.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import * as fsPromises from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'esbuild'

const { version } = JSON.parse(readFileSync('package.json', 'utf8'))
const OUT = 'dist'
const SCRATCH = join(OUT, `.build-${process.pid}`)
const MANIFEST = join(OUT, '.previous-build')
const CLI = 'cli.js'
const FAST = 'fast-token.js'
const ENTRIES = [CLI, FAST]

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  // Loaded from node_modules only when needed: the keyring's native module, undici when a proxy is set,
  // and etcd3 for the fleet (it reads its .proto files beside its own code at load time).
  external: ['@napi-rs/keyring', 'undici', 'etcd3', 'cockatiel'],
  define: { AUTHKEEP_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
  format: 'cjs',
  write: false,
  outdir: SCRATCH,
  metafile: process.env.AUTHKEEP_BUILD_META === '1',
}

/** For the fast path: what it must never run becomes a stub that throws when used; crypto loads late. */
const readOnly = {
  name: 'read-only',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      // Refresh and the token agent are reached only through dynamic imports: those reject.
      if (args.kind === 'dynamic-import') return { path: args.path, namespace: 'full-cli-only' }
      // The claude-code store imports its write lock statically: it loads, and throws if ever called.
      if (/\/lock\/fileLock\.js$/.test(args.path)) return { path: args.path, namespace: 'no-locks' }
      if (args.path === 'node:crypto' && args.namespace === 'file')
        return { path: args.path, namespace: 'lazy' }
      if (args.path === 'node:fs/promises' && args.namespace === 'file')
        return { path: args.path, namespace: 'sync' }
      return undefined
    })
    b.onLoad({ filter: /.*/, namespace: 'full-cli-only' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} runs in the full CLI only`)})`,
      loader: 'js',
    }))
    b.onLoad({ filter: /.*/, namespace: 'no-locks' }, () => ({
      contents: `export function withFileLock() { throw new Error('the fast path takes no locks') }`,
      loader: 'js',
    }))
    b.onLoad({ filter: /.*/, namespace: 'sync' }, () => ({ contents: syncReads(), loader: 'js' }))
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: ['createHash', 'randomBytes']
        .map((f) => `export const ${f} = (...a) => require('node:crypto').${f}(...a)`)
        .join('\n'),
      loader: 'js',
    }))
  },
}

/**
 * node:fs/promises for a path that makes one read after another and nothing else: the reads done
 * synchronously (same results, same errors), which spares starting libuv's thread pool for a handful of
 * round trips; every other function throws, as the fast path never writes.
 */
function syncReads() {
  const reads = {
    readFile: 'readFileSync',
    stat: 'statSync',
    lstat: 'lstatSync',
    realpath: 'realpathSync.native',
  }
  // A file opened for reading only (readFileIfExists checks what it opened): a handle over the sync calls.
  const open = `export const open = async (path, flags) => {
    const fs = require('node:fs')
    if (typeof flags !== 'number' || (flags & fs.constants.O_ACCMODE) !== fs.constants.O_RDONLY)
      throw new Error('the fast path only reads (fs.open for writing)')
    const fd = fs.openSync(path, flags)
    return {
      read: async (buffer, offset, length, position) => ({ bytesRead: fs.readSync(fd, buffer, offset, length, position), buffer }),
      stat: async () => fs.fstatSync(fd),
      close: async () => fs.closeSync(fd),
    }
  }`
  // Functions only: importing anything else (`constants`) fails this build, loudly.
  return Object.entries(fsPromises)
    .filter(([name, value]) => name !== 'default' && typeof value === 'function')
    .map(([name]) =>
      name === 'open'
        ? open
        : name in reads
          ? `export const ${name} = async (...a) => require('node:fs').${reads[name]}(...a)`
          : `export const ${name} = () => { throw new Error('the fast path only reads (fs.${name})') }`,
    )
    .join('\n')
}

/** Writes `name` as a classic script naming its code cache, then makes the cache by running `sample`. */
function writeScript(result, name, sample) {
  const [out] = result.outputFiles
  const body = `(function (exports, require, module, __filename, __dirname) {${out.text}\n})`
  const cache = `${name.replace(/\.js$/, '')}-${createHash('sha256').update(body).digest('hex').slice(0, 16)}.cache`
  const script = join(SCRATCH, name)
  writeFileSync(script, `// cache: ${cache}\n${body}\n`)
  withSampleLogin((home) => sample(script, join(SCRATCH, cache), home))
  // A cache V8 turns down is silent: each start would compile again. Check it here, as bin/ will load it.
  const check = `const { readFileSync } = require('node:fs')
    const [script, cache] = process.argv.slice(1)
    const s = new (require('node:vm').Script)(readFileSync(script, 'utf8'), { filename: script, cachedData: readFileSync(cache) })
    if (s.cachedDataRejected) throw new Error('V8 rejected the code cache of ' + script)`
  execFileSync(process.execPath, ['-e', check, script, join(SCRATCH, cache)], { stdio: 'inherit' })
}

/**
 * A scratch home with an OAuth profile and a claude-code login, both fresh: the cache is made from a run
 * on it, so it holds the functions start-up compiles lazily, not only the top level.
 */
function withSampleLogin(run) {
  const home = join(SCRATCH, 'sample')
  const now = Date.now()
  mkdirSync(join(home, 'state', 'credentials'), { recursive: true, mode: 0o700 })
  mkdirSync(join(home, 'claude'), { mode: 0o700 })
  const profile = { token_endpoint: 'https://auth.invalid/token', client_id: 'sample', store: 'file' }
  writeFileSync(join(home, 'config.json'), JSON.stringify({ version: 1, profiles: { sample: profile } }))
  writeFileSync(
    join(home, 'state', 'credentials', 'sample.json'),
    JSON.stringify({
      version: 1,
      profile: 'sample',
      state: 'active',
      secrets_in: 'file',
      access_token: 'sample-access',
      refresh_token: 'sample-refresh',
      expires_at: new Date(now + 3_600_000).toISOString(),
      obtained_at: new Date(now).toISOString(),
      updated_at: new Date(now).toISOString(),
      host: 'sample',
    }),
    { mode: 0o600 },
  )
  const oauth = { accessToken: 'sample-access', refreshToken: 'sample-refresh', expiresAt: now + 3_600_000 }
  writeFileSync(join(home, 'claude', '.credentials.json'), JSON.stringify({ claudeAiOauth: oauth }))
  try {
    run(home)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

/** Runs `program` in a fresh node with the script, the cache file to write and the sample home as argv. */
function inFreshNode(program, script, cacheFile, home, env = {}) {
  const load = `
    const { readFileSync, writeFileSync } = require('node:fs')
    const { Script } = require('node:vm')
    const [script, cacheFile, home] = process.argv.slice(1)
    const s = new Script(readFileSync(script, 'utf8'), { filename: script })
    const m = { exports: {} }
    const saveCache = () => writeFileSync(cacheFile, s.createCachedData())`
  execFileSync(process.execPath, ['-e', `${load}\n${program}`, script, cacheFile, home], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH, ...env },
  })
}

async function buildFast() {
  const result = await build({
    ...common,
    entryPoints: ['src/fast/token.ts'],
    minify: true,
    plugins: [readOnly],
  })
  writeScript(result, FAST, (script, cacheFile, home) =>
    inFreshNode(
      `s.runInThisContext()(m.exports, require, m, script, '.')
      const env = { HOME: home, AUTHKEEP_HOME: home, CLAUDE_CONFIG_DIR: home + '/claude' }
      Promise.all([
        m.exports.freshToken(['token', '--profile', 'sample'], env),
        m.exports.freshToken(['token', '--profile', 'claude-code'], env),
      ]).then((tokens) => {
        if (tokens.some((t) => t !== 'sample-access')) throw new Error('the fast path did not serve: ' + tokens)
        saveCache()
      })`,
      script,
      cacheFile,
      home,
    ),
  )
  return result
}

async function buildCli() {
  const result = await build({
    ...common,
    entryPoints: ['src/main.ts'],
    // import() of what stays outside (the keyring module, undici) as require(): a script run from a code
    // cache has no dynamic-import callback, and these are CommonJS packages anyway.
    supported: { 'dynamic-import': false },
  })
  // `status` on the sample: start-up, commander, the config, both stores; the CLI exits through
  // process.exit, so the cache is written on exit, after a check that the run went well.
  writeScript(result, CLI, (script, cacheFile, home) =>
    inFreshNode(
      `process.argv = [process.execPath, script, 'status']
      process.on('exit', (code) => {
        if (code !== 0) throw new Error('the sample status run failed')
        saveCache()
      })
      s.runInThisContext()(m.exports, require, m, script, '.')`,
      script,
      cacheFile,
      home,
      { HOME: home, AUTHKEEP_HOME: home, CLAUDE_CONFIG_DIR: join(home, 'claude') },
    ),
  )
  return result
}

rmSync(SCRATCH, { recursive: true, force: true })
mkdirSync(SCRATCH, { recursive: true })
try {
  const cli = await buildCli()
  const fast = await buildFast()
  if (cli.metafile) console.log(JSON.stringify({ cli: cli.metafile, fast: fast.metafile }))

  const built = readdirSync(SCRATCH)
  const previous = (() => {
    try {
      return readFileSync(MANIFEST, 'utf8').split('\n').filter(Boolean)
    } catch {
      return []
    }
  })()
  const keep = new Set([...built, ...previous, '.previous-build'])
  // Another build's scratch directory is that build's to remove.
  for (const f of readdirSync(OUT)) {
    if (!keep.has(f) && !f.startsWith('.build-')) rmSync(join(OUT, f), { recursive: true, force: true })
  }
  const order = [...built.filter((f) => !ENTRIES.includes(f)), ...built.filter((f) => ENTRIES.includes(f))]
  for (const f of order) renameSync(join(SCRATCH, f), join(OUT, f))
  writeFileSync(MANIFEST, `${built.join('\n')}\n`)
} finally {
  rmSync(SCRATCH, { recursive: true, force: true })
}
