// One ESM bundle with split chunks: each command's code loads only when that command runs,
// which keeps `authkeep token` close to bare `node` start-up.
import { readFileSync, rmSync } from 'node:fs'
import { build } from 'esbuild'

const { version } = JSON.parse(readFileSync('package.json', 'utf8'))

rmSync('dist', { recursive: true, force: true })

const result = await build({
  entryPoints: { authkeep: 'src/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  // Loaded from node_modules only when needed: the keyring's native module, and undici when a proxy is set.
  external: ['@napi-rs/keyring', 'undici'],
  // CommonJS dependencies (commander, proper-lockfile) call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __ckReq } from 'node:module'; const require = __ckReq(import.meta.url);",
  },
  define: { AUTHKEEP_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
  metafile: process.env.AUTHKEEP_BUILD_META === '1',
})
if (result.metafile) console.log(JSON.stringify(result.metafile))
