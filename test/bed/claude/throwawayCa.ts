// A CA made for one sandbox and deleted with it, so the CLI's OAuth traffic can be read by the fake
// API without any real certificate or key ever being involved. Keys are never written outside `dir`.
import { makeCa, signLeaf } from '../testCa.js'

export interface ThrowawayCa {
  caCertFile: string
  keyFile: string
  certFile: string
}

export async function makeThrowawayCa(dir: string, hosts: string[]): Promise<ThrowawayCa> {
  const caCertFile = await makeCa(dir, 'authkeep throwaway test CA')
  // BoringSSL (the CLI is a Bun binary) wants SANs, serverAuth and key identifiers on the leaf.
  const leaf = await signLeaf(dir, 'leaf', hosts[0] ?? 'localhost', [
    `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}`,
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid,issuer',
  ])
  return { caCertFile, ...leaf }
}
