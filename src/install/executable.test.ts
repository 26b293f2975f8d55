import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { archOfMachine, elfArch, recordedSha256, sha256OfFile } from './executable.js'

const dir = mkdtempSync(join(tmpdir(), 'authkeep-exe-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** The first 20 bytes of an ELF file for `machine`, padded. */
function elf(machine: number): Buffer {
  const b = Buffer.alloc(64)
  b.write('\x7fELF', 0, 'latin1')
  b.writeUInt16LE(machine, 18)
  return b
}

test('uname -m names map to the arches built; others are none', () => {
  assert.equal(archOfMachine('x86_64'), 'x64')
  assert.equal(archOfMachine('aarch64'), 'arm64')
  assert.equal(archOfMachine('armv7l'), undefined)
})

test('the ELF header tells the arch; other files and short ones are none', async () => {
  const cases: [Buffer, string | undefined][] = [
    [elf(0x3e), 'x64'],
    [elf(0xb7), 'arm64'],
    [elf(0x28), undefined],
    [Buffer.from('#!/bin/sh\necho hello, not an ELF file\n'), undefined],
    [Buffer.from('\x7fELF'), undefined],
  ]
  for (const [i, [bytes, want]] of cases.entries()) {
    const f = join(dir, `f${i}`)
    writeFileSync(f, bytes)
    assert.equal(await elfArch(f), want, `case ${i}`)
  }
  assert.equal(await elfArch(process.execPath), process.arch)
})

test('sha256 of a file, and the one its .sha256 records (none, or empty when unreadable)', async () => {
  const f = join(dir, 'exe')
  writeFileSync(f, 'abc')
  const sum = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
  assert.equal(await sha256OfFile(f), sum)
  assert.equal(await recordedSha256(f), undefined)
  writeFileSync(`${f}.sha256`, `${sum}  exe\n`)
  assert.equal(await recordedSha256(f), sum)
  writeFileSync(`${f}.sha256`, 'garbage\n')
  assert.equal(await recordedSha256(f), '')
})
