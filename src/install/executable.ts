import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, readFile } from 'node:fs/promises'

export type Arch = 'x64' | 'arm64'

/** ELF's e_machine for each arch the executable is built for. */
const MACHINES: Record<number, Arch> = { 62: 'x64', 183: 'arm64' }

/** `uname -m` as a Node arch; undefined for machines no executable is built for. */
export function archOfMachine(machine: string): Arch | undefined {
  if (machine === 'x86_64' || machine === 'amd64') return 'x64'
  if (machine === 'aarch64' || machine === 'arm64') return 'arm64'
  return undefined
}

/** The CPU a Linux executable is for, from its ELF header; undefined when it is not one we build. */
export async function elfArch(file: string): Promise<Arch | undefined> {
  const fh = await open(file, 'r')
  try {
    const head = Buffer.alloc(20)
    const { bytesRead } = await fh.read(head, 0, 20, 0)
    if (bytesRead < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined
    return MACHINES[head.readUInt16LE(18)]
  } finally {
    await fh.close()
  }
}

export function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(file)
      .on('error', reject)
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve(hash.digest('hex')))
  })
}

/** The digest in `FILE.sha256` (sha256sum's format), or undefined when there is no such file. */
export async function recordedSha256(file: string): Promise<string | undefined> {
  const text = await readFile(`${file}.sha256`, 'utf8').catch(() => undefined)
  return text === undefined ? undefined : (/^([0-9a-f]{64})\b/.exec(text.trim())?.[1] ?? '')
}
