// Client-side encryption of every secret the fleet keeps in etcd, so a backup, a snapshot or an operator
// with read access sees only ciphertext. node:crypto's own primitives (OpenSSL underneath):
// AES-256-GCM for values, X25519 + HKDF-SHA256 to wrap a key to one machine (the ECIES shape of age and
// HPKE, without their framing). Each ciphertext is bound to the etcd key it is stored under (GCM's
// additional data), so a value copied to another key does not decrypt.
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto'

const VERSION = 'v1'
const WRAP_INFO = 'authkeep fleet key wrap v1'

export class DecryptError extends Error {}

export function newDataKey(): Buffer {
  return randomBytes(32)
}

/** `v1.<iv>.<ciphertext>.<tag>`, base64url; `aad` is the etcd key the value is stored under. */
export function seal(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(aad))
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [VERSION, iv, ct, cipher.getAuthTag()]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.')
}

export function open(key: Buffer, sealed: string, aad: string): string {
  const [version, iv, ct, tag] = sealed.split('.')
  if (version !== VERSION || !iv || ct === undefined || !tag)
    throw new DecryptError('not an authkeep ciphertext')
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
    decipher.setAAD(Buffer.from(aad))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8')
  } catch {
    throw new DecryptError('does not decrypt with this key')
  }
}

export interface MachineKey {
  privateKey: KeyObject
  /** base64url of the raw 32-byte X25519 public key: what `fleet host add --public-key` takes. */
  publicKey: string
}

export function generateMachineKey(): { pem: string; key: MachineKey } {
  const { privateKey } = generateKeyPairSync('x25519')
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  return { pem, key: machineKeyFromPem(pem) }
}

export function machineKeyFromPem(pem: string): MachineKey {
  const privateKey = createPrivateKey(pem)
  if (privateKey.asymmetricKeyType !== 'x25519') throw new DecryptError('not an X25519 private key')
  return { privateKey, publicKey: rawPublic(createPublicKey(privateKey)) }
}

function rawPublic(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' }) as { x?: string }
  if (!jwk.x) throw new DecryptError('not an X25519 key')
  return jwk.x
}

const PUBLIC_KEY = /^[A-Za-z0-9_-]{43}$/

export function isPublicKey(value: string): boolean {
  return PUBLIC_KEY.test(value)
}

function publicKeyObject(publicKey: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: publicKey }, format: 'jwk' })
}

function wrappingKey(shared: Buffer, ephemeral: string, recipient: string): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.from(`${ephemeral}.${recipient}`), WRAP_INFO, 32))
}

/** Wraps a data key to one machine's public key: `<ephemeral public>~<sealed key>`. */
export function wrapKey(dataKey: Buffer, recipient: string, aad: string): string {
  const { privateKey, publicKey } = generateKeyPairSync('x25519')
  const ephemeral = rawPublic(publicKey)
  const shared = diffieHellman({ privateKey, publicKey: publicKeyObject(recipient) })
  return `${ephemeral}~${seal(wrappingKey(shared, ephemeral, recipient), dataKey.toString('base64url'), aad)}`
}

export function unwrapKey(wrapped: string, me: MachineKey, aad: string): Buffer {
  const [ephemeral, sealed] = wrapped.split('~')
  if (!ephemeral || !sealed || !isPublicKey(ephemeral)) throw new DecryptError('not a wrapped key')
  const shared = diffieHellman({ privateKey: me.privateKey, publicKey: publicKeyObject(ephemeral) })
  const key = Buffer.from(open(wrappingKey(shared, ephemeral, me.publicKey), sealed, aad), 'base64url')
  if (key.length !== 32) throw new DecryptError('wrapped key has the wrong length')
  return key
}
