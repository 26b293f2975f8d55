// A CA made for one sandbox and deleted with it, so the CLI's OAuth traffic can be read by the fake
// API without any real certificate or key ever being involved. Keys are never written outside `dir`.
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface ThrowawayCa {
  caCertFile: string
  keyFile: string
  certFile: string
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args[0]} failed: ${stderr.trim() || err.message}`))
      else resolve()
    })
  })
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

export async function makeThrowawayCa(dir: string, hosts: string[]): Promise<ThrowawayCa> {
  const caCertFile = join(dir, 'ca.pem')
  const keyFile = join(dir, 'leaf.key')
  const certFile = join(dir, 'leaf.pem')
  await openssl(
    [
      ...['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', caCertFile, '-days', '2'],
      ...['-subj', '/CN=authkeep throwaway test CA'],
      ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ],
    dir,
  )
  await openssl(['req', ...EC, '-keyout', keyFile, '-out', 'leaf.csr', '-subj', `/CN=${hosts[0]}`], dir)
  // BoringSSL (the CLI is a Bun binary) wants SANs, serverAuth and key identifiers on the leaf.
  await writeFile(
    join(dir, 'leaf.ext'),
    [
      `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid,issuer',
      '',
    ].join('\n'),
  )
  await openssl(
    [
      ...['x509', '-req', '-in', 'leaf.csr', '-CA', caCertFile, '-CAkey', 'ca.key', '-CAcreateserial'],
      ...['-out', certFile, '-days', '2', '-extfile', 'leaf.ext'],
    ],
    dir,
  )
  return { caCertFile, keyFile, certFile }
}
