// A CA made for one etcd test cluster and deleted with it: a server certificate for 127.0.0.1 and one
// client certificate per etcd user (the certificate's CN is the user etcd authenticates).
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface ClientCert {
  caFile: string
  certFile: string
  keyFile: string
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 20_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args[0]} failed: ${stderr.trim() || err.message}`))
      else resolve()
    })
  })
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

export interface EtcdCa {
  caFile: string
  server: ClientCert
  /** A client certificate whose CN is `user`, made on first use. */
  client(user: string): Promise<ClientCert>
}

export async function makeEtcdCa(dir: string): Promise<EtcdCa> {
  const caFile = join(dir, 'ca.pem')
  await openssl(
    [
      ...['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', caFile, '-days', '2'],
      ...['-subj', '/CN=authkeep etcd test CA'],
      ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ],
    dir,
  )
  const leaf = async (
    name: string,
    cn: string,
    usage: string,
    san: string | undefined,
  ): Promise<ClientCert> => {
    const keyFile = join(dir, `${name}.key`)
    const certFile = join(dir, `${name}.pem`)
    await openssl(['req', ...EC, '-keyout', keyFile, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir)
    const ext = [
      ...(san ? [`subjectAltName=${san}`] : []),
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${usage}`,
      '',
    ]
    await writeFile(join(dir, `${name}.ext`), ext.join('\n'))
    await openssl(
      [
        ...['x509', '-req', '-in', `${name}.csr`, '-CA', caFile, '-CAkey', 'ca.key', '-CAcreateserial'],
        ...['-out', certFile, '-days', '2', '-extfile', `${name}.ext`],
      ],
      dir,
    )
    return { caFile, certFile, keyFile }
  }
  const server = await leaf(
    'etcd-server',
    'etcd-server',
    'serverAuth,clientAuth',
    'IP:127.0.0.1,DNS:localhost',
  )
  const made = new Map<string, Promise<ClientCert>>()
  return {
    caFile,
    server,
    client(user) {
      if (!/^[A-Za-z0-9._-]+$/.test(user)) throw new Error(`etcd test users are plain names, not ${user}`)
      let cert = made.get(user)
      if (!cert) {
        cert = leaf(`client-${user}`, user, 'clientAuth', undefined)
        made.set(user, cert)
      }
      return cert
    },
  }
}
