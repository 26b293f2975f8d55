// The etcd client (etcd3 1.1.2, pinned; see README "Fleet") built from the fleet config, and the one
// place etcd's failures become authkeep's errors: unreachable or without quorum → 6, a certificate that
// does not load or is refused → 1 naming the file, denied → the enrol command to run.
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Etcd3 } from 'etcd3'
import { AuthkeepError, ExitCode, ServerUnavailableError } from '../errors.js'
import type { FleetConfig } from './config.js'

export interface Connected {
  client: Etcd3
  fleet: FleetConfig
  close(): void
}

async function readPem(file: string, what: string, check: (pem: Buffer) => void): Promise<Buffer> {
  const pem = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new AuthkeepError(`${file}: the fleet's ${what} cannot be read (${err.code})`, {
      next: 'authkeep fleet init --ca FILE --cert FILE --key FILE',
    })
  })
  try {
    check(pem)
  } catch {
    throw new AuthkeepError(`${file}: the fleet's ${what} is not a PEM ${what}`, {
      next: 'authkeep fleet init --ca FILE --cert FILE --key FILE',
    })
  }
  return pem
}

/** Connects lazily (etcd3 dials on the first call); each call has `deadlineMs` before it counts as down. */
export async function connect(fleet: FleetConfig, opts: { deadlineMs?: number } = {}): Promise<Connected> {
  // etcd3 reads its .proto files beside its own code, so it is not bundled: the npm install has it.
  const [{ Etcd3, isRecoverableError }, { ExponentialBackoff, handleWhen, noop, retry }] = await Promise.all([
    import('etcd3'),
    import('cockatiel'),
  ]).catch((err: NodeJS.ErrnoException) => {
    throw new AuthkeepError(
      `the fleet's etcd client (etcd3) could not be loaded (${err.code ?? err.message}); the single executable does not include it`,
      { next: 'npm install --global authkeep' },
    )
  })
  const tls = fleet.tls
  const credentials = tls
    ? {
        rootCertificate: await readPem(tls.caFile, 'CA certificate', (p) => new X509Certificate(p)),
        certChain: await readPem(tls.certFile, 'client certificate', (p) => new X509Certificate(p)),
        privateKey: await readPem(tls.keyFile, 'private key', (p) => createPrivateKey(p)),
      }
    : undefined
  const deadlineMs = opts.deadlineMs ?? 5000
  // http:// endpoints are loopback only (checked with the config); etcd3 speaks plain gRPC to them.
  const hosts = fleet.endpoints
  const client = new Etcd3({
    hosts,
    ...(credentials ? { credentials } : {}),
    dialTimeout: deadlineMs,
    defaultCallOptions: () => ({ deadline: Date.now() + deadlineMs }),
    // etcd3's default opens a circuit breaker per member after 3 failures; during a leader election every
    // member fails at once, all three open, and calls were refused for minutes after the cluster healed.
    // Instead: no breaker, and a few quick retries, each on a member picked afresh.
    faultHandling: {
      host: () => noop,
      // etcd refuses a request checked against users and roles that changed meanwhile ("revision of
      // auth store is old", right after a `fleet host add`): asked again, it passes.
      global: retry(
        handleWhen((err) => isRecoverableError(err) || AUTH_OLD.test(err.message)),
        {
          maxAttempts: 4,
          backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }),
        },
      ),
    },
  })
  return { client, fleet, close: () => client.close() }
}

const AUTH_OLD = /revision of auth store is old/

const UNREACHABLE =
  /Unavailable|DeadlineExceeded|deadline|No connection|ECONNREFUSED|timed out|no leader|not capable|Circuit|BrokenCircuit|isolated/i
const TLS = /certificate|SSL|TLS|handshake|alert/i

/** etcd refused this machine's etcd user (its role does not cover the key). */
export class FleetDeniedError extends AuthkeepError {
  constructor(message: string, next: string) {
    super(message, { exitCode: ExitCode.error, next })
  }
}

/** etcd refused the request for who made it: asking again cannot help, a new role or certificate can. */
export function isDenied(err: unknown): boolean {
  const e = err as Error
  return (
    e?.constructor?.name === 'EtcdPermissionDeniedError' ||
    e?.constructor?.name === 'EtcdAuthenticationFailedError' ||
    /permission denied|user name is empty|user name not found|authentication failed/i.test(
      String(e?.message ?? err),
    )
  )
}

/** etcd's failure as authkeep's one-line error; `what` says what was being done ("read profile P"). */
export function etcdError(err: unknown, fleet: FleetConfig, what: string): AuthkeepError {
  if (err instanceof AuthkeepError) return err
  const e = err as Error
  const name = e?.constructor?.name ?? ''
  const message = String(e?.message ?? err)
  const where = fleet.endpoints.join(', ')
  if (isDenied(err)) {
    return new FleetDeniedError(
      `etcd denied machine "${fleet.name}" the right to ${what}: a host reads only its own profiles' tokens, and only refreshers do more`,
      `authkeep fleet host add ${fleet.name} --public-key KEY [--refresher] (on a refresher)`,
    )
  }
  if (fleet.tls && TLS.test(message) && !/deadline/i.test(message)) {
    return new AuthkeepError(
      `${fleet.tls.certFile}: etcd at ${where} refused the TLS connection (${message.split('\n')[0]?.slice(0, 160)}); check ${fleet.tls.caFile}, ${fleet.tls.certFile} and ${fleet.tls.keyFile}`,
      { next: 'authkeep fleet init --ca FILE --cert FILE --key FILE' },
    )
  }
  if (UNREACHABLE.test(message) || UNREACHABLE.test(name)) {
    return new ServerUnavailableError(
      `etcd at ${where} could not be reached or has no quorum, so machine "${fleet.name}" could not ${what}`,
      'authkeep fleet status',
      err,
    )
  }
  return new AuthkeepError(
    `etcd failed while machine "${fleet.name}" tried to ${what}: ${message.split('\n')[0]}`,
    {
      next: 'authkeep fleet status',
      cause: err,
    },
  )
}
