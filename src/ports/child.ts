import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { Transform, type TransformCallback } from 'node:stream'
import { mask } from '../secret.js'

export interface ChildResult {
  /** The exit code, or 128 + the signal number when the child was killed. */
  code: number
}

/** Runs a command with the terminal, an environment of our making, and optionally its output masked. */
export type RunChild = (
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { maskSecrets: string[] },
) => Promise<ChildResult>

/**
 * Replaces every occurrence of the secrets in a byte stream, also across chunk boundaries: the tail that
 * could be the start of a secret is held back until the next chunk decides.
 */
export class MaskStream extends Transform {
  #held = ''
  readonly #secrets: string[]
  readonly #keep: number

  constructor(secrets: string[]) {
    super()
    this.#secrets = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length)
    this.#keep = Math.max(0, ...this.#secrets.map((s) => s.length - 1))
  }

  #replace(text: string): string {
    return this.#secrets.reduce((t, s) => t.split(s).join(mask(s)), text)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const text = this.#replace(this.#held + chunk.toString('utf8'))
    const cut = Math.max(0, text.length - this.#keep)
    this.#held = text.slice(cut)
    done(null, text.slice(0, cut))
  }

  override _flush(done: TransformCallback): void {
    done(null, this.#replace(this.#held))
  }
}

export const systemRunChild: RunChild = (command, args, env, opts) =>
  new Promise((resolve, reject) => {
    const masking = opts.maskSecrets.length > 0
    const child = spawn(command, args, { env, stdio: masking ? ['inherit', 'pipe', 'pipe'] : 'inherit' })
    if (masking) {
      child.stdout?.pipe(new MaskStream(opts.maskSecrets)).pipe(process.stdout)
      child.stderr?.pipe(new MaskStream(opts.maskSecrets)).pipe(process.stderr)
    }
    // The child gets the terminal's signals itself; these cover a `kill` aimed at authkeep alone.
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
    for (const s of signals) process.on(s, forward)
    child.once('error', reject)
    child.once('close', (code, signal) => {
      for (const s of signals) process.off(s, forward)
      resolve({ code: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0) })
    })
  })
