// Shared by the property-based fuzz tests (src/**/*.fuzz.test.ts) and their campaign aggregator
// (test/e2e/fuzz.test.ts): the input generators, the judgement of an outcome, and a tally per area.
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import fc from 'fast-check'
import { AuthkeepError, ExitCode } from '../../src/errors.js'
import { fingerprint, SIDECAR } from '../../src/stores/claudeCodeStore.js'

/** Runs per property: the test command's bounded slice by default, the campaign's count from the env. */
export const RUNS = (() => {
  const n = Number(process.env.AUTHKEEP_FUZZ_RUNS)
  return Number.isInteger(n) && n > 0 ? n : 200
})()

/** Every generated secret carries this; an outcome that contains it has echoed a secret. */
export const MARKER = 'FUZZSECRET'

export type FindingKind = 'failure' | 'lost' | 'leaked'

/** A broken property, classified for the campaign's summary line. */
export class Finding extends Error {
  constructor(
    readonly kind: FindingKind,
    message: string,
  ) {
    super(message)
  }
}

interface Tally {
  trials: number
  failures: number
  lost: number
  leaked: number
}
const tallies = new Map<string, Tally>()

function tallyOf(area: string): Tally {
  let t = tallies.get(area)
  if (!t) {
    t = { trials: 0, failures: 0, lost: 0, leaked: 0 }
    tallies.set(area, t)
  }
  return t
}

/** One summary line per area, in the format scripts/campaign.mjs collects. */
export function campaignLines(): string[] {
  return [...tallies].map(
    ([area, t]) =>
      `CAMPAIGN fuzz-${area} trials=${t.trials} failures=${t.failures} lost=${t.lost} leaked=${t.leaked}`,
  )
}

export function recordTrials(area: string, n: number, findings: Partial<Omit<Tally, 'trials'>> = {}): void {
  const t = tallyOf(area)
  t.trials += n
  t.failures += findings.failures ?? 0
  t.lost += findings.lost ?? 0
  t.leaked += findings.leaked ?? 0
}

/**
 * Checks `check` against RUNS generated values, counting each trial and each broken property for the
 * area's summary; the first failure is shrunk and reported by fast-check with its seed.
 */
export async function runProperty<T>(
  area: string,
  arb: fc.Arbitrary<T>,
  check: (value: T) => Promise<void> | void,
  runs = RUNS,
): Promise<void> {
  const t = tallyOf(area)
  const baseline = Object.getOwnPropertyNames(Object.prototype).join(',')
  await fc.assert(
    fc.asyncProperty(arb, async (value) => {
      t.trials++
      try {
        await check(value)
        if (Object.getOwnPropertyNames(Object.prototype).join(',') !== baseline) {
          throw new Finding('failure', 'Object.prototype was polluted')
        }
      } catch (err) {
        const kind = err instanceof Finding ? err.kind : 'failure'
        if (kind === 'lost') t.lost++
        else if (kind === 'leaked') t.leaked++
        else t.failures++
        throw err
      }
    }),
    { numRuns: runs },
  )
}

const TABLE = new Set<number>(Object.values(ExitCode))
// A line break, or any C0/C1 control character a terminal would act on.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

/** A text shown to a person: one line, no secret. */
export function assertShowable(text: string, what: string): void {
  if (text.includes(MARKER)) throw new Finding('leaked', `${what} echoes a secret: ${JSON.stringify(text)}`)
  if (CONTROL.test(text)) {
    throw new Finding('failure', `${what} is not one plain line: ${JSON.stringify(text)}`)
  }
}

/**
 * A rejected input: an error of an expected class whose line (as main.ts prints it) is one line, names
 * the input, maps to an exit code from the table and holds no secret.
 */
export function assertCleanError(
  err: unknown,
  opts: { names?: string; also?: (new (...args: never[]) => Error)[] } = {},
): void {
  const expected = err instanceof AuthkeepError || (opts.also ?? []).some((c) => err instanceof c)
  if (!expected) {
    throw new Finding('failure', `an unexpected exception escaped: ${(err as Error)?.stack ?? String(err)}`)
  }
  const e = err as Error & { next?: string; exitCode?: number }
  const line = `authkeep: ${e.message}${e.next ? `; run: ${e.next}` : ''}`
  assertShowable(line, 'the error')
  if (err instanceof AuthkeepError && !TABLE.has(err.exitCode)) {
    throw new Finding('failure', `exit code ${err.exitCode} is not in the table: ${line}`)
  }
  if (opts.names !== undefined && !e.message.includes(opts.names)) {
    throw new Finding('failure', `the error does not name ${opts.names}: ${line}`)
  }
}

/** A Date handed to the rest of the program must be a real time (an Invalid Date throws in toISOString). */
export function assertDate(d: Date | undefined, what: string): void {
  if (d !== undefined && !Number.isFinite(d.getTime()))
    throw new Finding('failure', `${what} is an Invalid Date`)
}

/** Where the fuzzed files go: tmpfs when there is one, so fsync costs nothing over 10,000 runs. */
export function scratchDir(prefix: string): Promise<string> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
  return mkdtemp(join(base, `authkeep-fuzz-${prefix}-`))
}

/** A scratch directory removed after the calling test file's tests. */
export async function scratchRoot(prefix: string): Promise<string> {
  const root = await scratchDir(prefix)
  after(() => rm(root, { recursive: true, force: true }))
  return root
}

/** A scratch root (removed afterwards) holding a CLI's own 0700 directory `sub`. */
export async function scratchHome(prefix: string, sub: string): Promise<{ root: string; dir: string }> {
  const root = await scratchRoot(prefix)
  const dir = join(root, sub)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  return { root, dir }
}

/** Puts generated content in `file` as a CLI leaves it: mode 0600 even when the file was there before. */
export async function writeFuzzed(file: string, content: string | Uint8Array): Promise<void> {
  await writeFile(file, content)
  await chmod(file, 0o600)
}

/** Writes authkeep's sidecar note into a CLI's directory, or removes it when there is no content. */
export async function writeSidecar(dir: string, content: string | Uint8Array | undefined): Promise<void> {
  if (content === undefined) await rm(join(dir, SIDECAR), { force: true })
  else await writeFile(join(dir, SIDECAR), content, { mode: 0o600 })
}

/** Every file below `dir`, with its mode and content: equal snapshots mean nothing was written. */
export async function snapshot(dir: string): Promise<string> {
  const out: string[] = []
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => [])
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name)
      const mode = ((await stat(p)).mode & 0o7777).toString(8)
      if (e.isDirectory()) {
        out.push(`${p}/ ${mode}`)
        await walk(p)
      } else out.push(`${p} ${mode} ${(await readFile(p)).toString('base64')}`)
    }
  }
  await walk(dir)
  return out.join('\n')
}

export async function assertUnchanged(dir: string, before: string): Promise<void> {
  if ((await snapshot(dir)) !== before) {
    throw new Finding('lost', `files below ${dir} changed on an input that was rejected or only read`)
  }
}

/** `read` succeeds or throws a clean error naming `names`, and leaves every file below `dir` as it was. */
export async function readsOrRejectsCleanly(
  dir: string,
  // A function picks the name from the error, for a read that can fail at more than one place.
  names: string | ((err: Error) => string) | undefined,
  read: () => unknown,
  // Runs whatever read's outcome, still under the nothing-written check; its errors are not excused.
  opts: { afterwards?: () => Promise<void> | void } = {},
): Promise<void> {
  const before = await snapshot(dir)
  try {
    await read()
  } catch (err) {
    if (err instanceof Finding) throw err
    assertCleanError(err, { names: typeof names === 'function' ? names(err as Error) : names })
  }
  await opts.afterwards?.()
  await assertUnchanged(dir, before)
}

// ---- generators ----

const TOKEN_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_']

/** A secret in one of the shapes people paste by mistake; every one carries MARKER. */
export const secretArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('sk-ant-oat01-', 'sk-ant-ort01-', 'sk-ant-api03-', 'eyJhbGciOi.', 'ghp_', 'ya29.', ''),
    fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 16, maxLength: 60 }),
  )
  .map(([prefix, tail]) => `${prefix}${MARKER}${tail}`)

const controlString = fc.string({
  unit: fc.constantFrom('\n', '\r', '\t', '\u0000', '\u001b', '\u007f', '\u2028', '\u202e', 'a', ' '),
  maxLength: 12,
})

/** Strings a parser should be ready for: any code unit, graphemes, control characters, huge ones, secrets. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  controlString,
  secretArb,
  fc.tuple(secretArb, controlString).map(([s, c]) => `${c}${s}${c}`),
  fc.nat(70_000).map((n) => 'x'.repeat(n)),
  fc.constantFrom('', ' ', 'null', '__proto__', '\ud800', '%0A', '1e400', 'NaN', '2024-02-31T00:00:00Z'),
)

export const weirdNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(1e308, -1e308, 8.64e15 + 1, -8.64e15 - 1, 2 ** 53 + 1, -0, 1e-300, 0, -1, 1.5, 99_999_999),
)

/** Any JSON value, weighted towards the shapes that trip validators: wrong types, huge, deep, odd keys. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  weirdNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
  fc.array(nastyString, { maxLength: 3 }),
  fc.nat(1500).map((n) => {
    let v: unknown = 'deep'
    for (let i = 0; i < n; i++) v = [v]
    return v
  }),
)

export const weirdKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' '),
  fc.string({ unit: 'binary', maxLength: 20 }),
  controlString,
  secretArb,
)

/** Sets an own property even for `__proto__`, as JSON.parse would. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

interface Mutation {
  op: 'set' | 'delete' | 'add'
  at: number
  key: string
  value: unknown
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('set', 'delete', 'add'),
  at: fc.nat(),
  key: weirdKey,
  value: weirdValue,
})

/** The objects and arrays of a document, down to a depth that keeps a deep value from nesting deeper. */
function containers(v: unknown, depth = 0, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (typeof v === 'object' && v !== null && depth < 6) {
    out.push(v as Record<string, unknown>)
    for (const child of Object.values(v)) containers(child, depth + 1, out)
  }
  return out
}

function mutate(valid: unknown, mutations: Mutation[]): unknown {
  const doc = JSON.parse(JSON.stringify(valid))
  for (const m of mutations) {
    const all = containers(doc)
    const target = all[m.at % all.length]
    if (!target) continue
    const keys = Object.keys(target)
    const existing = keys[m.at % Math.max(1, keys.length)]
    if (m.op === 'add' || existing === undefined) put(target, m.key, m.value)
    else if (m.op === 'set') put(target, existing, m.value)
    else delete target[existing]
  }
  return doc
}

/**
 * The JSON text of a near-miss of a valid document: valid JSON with fields of the wrong type, missing or
 * extra (prototype keys among them), or a valid document cut short as a torn write leaves it.
 */
export function nearMissJson(valid: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(valid, fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
        .map(([v, m]) => JSON.stringify(mutate(v, m))),
    },
    { weight: 1, arbitrary: valid.map((v) => JSON.stringify(v, null, 2)) },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, fc.nat()).map(([v, n]) => {
        const text = JSON.stringify(v, null, 2)
        return text.slice(0, n % text.length)
      }),
    },
  )
}

/** What a file may hold: near-misses of a valid document, any text, or bytes that are not UTF-8 at all. */
export function fileContent(valid: fc.Arbitrary<unknown>): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    { weight: 6, arbitrary: nearMissJson(valid) },
    { weight: 1, arbitrary: nastyString },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  )
}

/** authkeep's sidecar note beside a CLI's own file (Claude Code's and Codex's). */
export const validSidecar = fc.record({
  host: nastyString,
  refresh_token_sha256: fc.oneof(secretArb.map(fingerprint), nastyString),
  state: fc.constantFrom('active', 'login_required', 'other'),
  state_reason: nastyString,
})

/** An ISO time, now and then out of the range a Date can hold. */
export const isoArb: fc.Arbitrary<string> = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString())
