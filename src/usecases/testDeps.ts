import { Readable } from 'node:stream'
import type { Deps } from '../deps.js'
import { neverBrowser } from '../ports/browser.js'
import { fixedClock } from '../ports/clock.js'
import { readEnvironment } from '../ports/environment.js'
import { noInterrupts } from '../ports/interrupts.js'
import { bufferIo } from '../ports/io.js'
import { resolvePaths } from '../profiles/paths.js'
import type { KeyStore } from '../stores/keyStore.js'

const unused = (what: string) => () => {
  throw new Error(`this test reached ${what}, which it did not provide`)
}

/** A key store with nothing in it; storing is not what these tests do. */
const noKeys: KeyStore = {
  file: unused('the key store'),
  get: async () => undefined,
  set: unused('the key store'),
  remove: unused('the key store'),
}

/**
 * Deps for a unit test, from the ports' fakes: output collected in memory, a fixed clock, a browser
 * that fails the test if opened, no signals; a port the test does not give throws when reached.
 */
export function testDeps(overrides: Partial<Deps> = {}): Deps {
  const home = '/nonexistent/home'
  return {
    io: bufferIo(Readable.from([])),
    clock: fixedClock(new Date()),
    env: readEnvironment({}, false),
    processEnv: {},
    paths: resolvePaths({}, home),
    browser: neverBrowser,
    prompter: { line: unused('the prompter'), secret: unused('the prompter') },
    credentialsOf: unused('a credential store'),
    runChild: unused('a child process'),
    self: ['/usr/bin/node', '/opt/authkeep.mjs'],
    keys: noKeys,
    clientSecrets: noKeys,
    host: 'test-host#000000000000',
    home,
    uid: 1000,
    cwd: '/nonexistent/project',
    pid: 4242,
    lockTimeoutMs: 5_000,
    interrupts: noInterrupts,
    ...overrides,
  }
}
