// Certificate authorities made for one test and deleted with it (openssl, P-256 keys, two days). Keys
// are never written outside the directory given.
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 20_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args[0]} failed: ${stderr.trim() || err.message}`))
      else resolve()
    })
  })
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

/** A CA in `dir` (ca.pem, and ca.key beside it, which signLeaf uses); returns the certificate's path. */
export async function makeCa(dir: string, cn: string): Promise<string> {
  const caFile = join(dir, 'ca.pem')
  await openssl(
    [
      ...['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', caFile, '-days', '2'],
      ...['-subj', `/CN=${cn}`],
      ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ],
    dir,
  )
  return caFile
}

/** `name`.pem and `name`.key in `dir`, for `cn`, signed by the CA makeCa made there, with `ext` lines. */
export async function signLeaf(
  dir: string,
  name: string,
  cn: string,
  ext: string[],
): Promise<{ certFile: string; keyFile: string }> {
  const keyFile = join(dir, `${name}.key`)
  const certFile = join(dir, `${name}.pem`)
  await openssl(['req', ...EC, '-keyout', keyFile, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir)
  await writeFile(join(dir, `${name}.ext`), [...ext, ''].join('\n'))
  await openssl(
    [
      ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
      ...['-out', certFile, '-days', '2', '-extfile', `${name}.ext`],
    ],
    dir,
  )
  return { certFile, keyFile }
}
