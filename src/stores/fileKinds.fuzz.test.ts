import { execFileSync } from 'node:child_process'
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { assertCleanError, Finding, RUNS, runProperty, scratchDir } from '../../test/fuzz/kit.js'
import { readFileIfExists } from '../files/atomicFile.js'

// Whatever stands where authkeep expects a file, a read ends at once: with the text of a regular file
// within the limit, with nothing when there is nothing, or with one clean error naming the path.
const AREA = 'file-kinds'
const dir = await scratchDir('file-kinds')
after(() => rm(dir, { recursive: true, force: true }))

const KINDS = [
  'regular',
  'missing',
  'directory',
  'fifo',
  'link to /dev/zero',
  'link to /dev/null',
  'link to a FIFO',
  'link to a regular file',
  'dangling link',
  'link to itself',
] as const
type Kind = (typeof KINDS)[number]

let n = 0
/** Makes a `kind` of file holding `content` where it holds any; returns its path. */
async function make(kind: Kind, content: string): Promise<string> {
  const path = join(dir, `f${n++}`)
  const fifo = (p: string) => execFileSync('mkfifo', ['-m', '600', p])
  switch (kind) {
    case 'regular':
      await writeFile(path, content, { mode: 0o600 })
      break
    case 'missing':
      break
    case 'directory':
      await mkdir(path)
      break
    case 'fifo':
      fifo(path)
      break
    case 'link to /dev/zero':
      await symlink('/dev/zero', path)
      break
    case 'link to /dev/null':
      await symlink('/dev/null', path)
      break
    case 'link to a FIFO':
      fifo(`${path}.target`)
      await symlink(`${path}.target`, path)
      break
    case 'link to a regular file':
      await writeFile(`${path}.target`, content, { mode: 0o600 })
      await symlink(`${path}.target`, path)
      break
    case 'dangling link':
      await symlink(`${path}.gone`, path)
      break
    case 'link to itself':
      await symlink(path, path)
      break
  }
  return path
}

const REFUSED = Symbol('refused')

/** What a read must give: the text, nothing, or a refusal. */
function expected(kind: Kind, content: string, maxBytes: number, symlinks: 'own' | 'refuse') {
  const link = kind.startsWith('link') || kind === 'dangling link'
  if (link && symlinks === 'refuse') return REFUSED
  if (kind === 'missing' || kind === 'dangling link') return undefined
  if (kind === 'regular' || kind === 'link to a regular file')
    return Buffer.byteLength(content) <= maxBytes ? content : REFUSED
  return REFUSED
}

const BOUND_MS = 5_000

test('any kind of file: its text within the limit, nothing, or a clean error naming it; never a hang', async () => {
  await runProperty(
    AREA,
    fc.record({
      kind: fc.constantFrom(...KINDS),
      size: fc.nat(3000),
      maxBytes: fc.nat(2048),
      symlinks: fc.constantFrom('own' as const, 'refuse' as const),
    }),
    async ({ kind, size, maxBytes, symlinks }) => {
      const content = 'x'.repeat(size)
      const path = await make(kind, content)
      const want = expected(kind, content, maxBytes, symlinks)
      let timer: NodeJS.Timeout | undefined
      const hang = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Finding('failure', `reading a ${kind} hung`)), BOUND_MS)
      })
      let got: string | undefined | typeof REFUSED
      try {
        got = await Promise.race([readFileIfExists(path, { maxBytes, symlinks }), hang])
      } catch (err) {
        if (err instanceof Finding) throw err
        assertCleanError(err, { names: path })
        got = REFUSED
      } finally {
        clearTimeout(timer)
      }
      if (got !== want) {
        const show = (v: typeof got) => (v === REFUSED ? 'refused' : JSON.stringify(v?.slice(0, 20)))
        throw new Finding(
          'failure',
          `a ${kind} of ${size} bytes (limit ${maxBytes}, links ${symlinks}): ${show(got)}, expected ${show(want)}`,
        )
      }
    },
    // Each run makes files and may spawn mkfifo: a tenth of the parsers' count covers every kind often.
    Math.max(100, Math.round(RUNS / 10)),
  )
})
