// A CA made for one etcd test cluster and deleted with it: a server certificate for 127.0.0.1 and one
// client certificate per etcd user (the certificate's CN is the user etcd authenticates).
import { makeCa, signLeaf } from './testCa.js'

export interface ClientCert {
  caFile: string
  certFile: string
  keyFile: string
}

export interface EtcdCa {
  caFile: string
  server: ClientCert
  /** A client certificate whose CN is `user`, made on first use. */
  client(user: string): Promise<ClientCert>
}

export async function makeEtcdCa(dir: string): Promise<EtcdCa> {
  const caFile = await makeCa(dir, 'authkeep etcd test CA')
  const leaf = async (name: string, cn: string, usage: string, san?: string): Promise<ClientCert> => ({
    caFile,
    ...(await signLeaf(dir, name, cn, [
      ...(san ? [`subjectAltName=${san}`] : []),
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${usage}`,
    ])),
  })
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
        cert = leaf(`client-${user}`, user, 'clientAuth')
        made.set(user, cert)
      }
      return cert
    },
  }
}
