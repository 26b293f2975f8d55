import { chmod, unlink } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { describePeer, type PeerCred, peerCred } from './peerCred.js'
import {
  type AgentRequest,
  type AgentResponse,
  agentError,
  isError,
  MAX_REQUEST_BYTES,
  parseRequest,
  readLine,
} from './protocol.js'

export interface Peer extends PeerCred {
  label: string
}

export interface LogEntry {
  time: Date
  profile: string | undefined
  peer: string
  host: string | undefined
  result: string
}

export interface AgentServerOptions {
  socketPath: string
  /** Only processes running as this uid are served. */
  uid: number
  handle(request: AgentRequest, peer: Peer): Promise<AgentResponse>
  log(entry: LogEntry): void
  /** How long a client may take to send its one request line. */
  requestTimeoutMs?: number
}

export interface AgentServer {
  close(): Promise<void>
}

export async function startAgentServer(opts: AgentServerOptions): Promise<AgentServer> {
  const server = createServer({ allowHalfOpen: false }, (socket) => {
    void serveConnection(socket, opts).catch(() => socket.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.socketPath, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // The 0700 directory already keeps others out; 0600 says the same on the socket itself.
  await chmod(opts.socketPath, 0o600)
  return {
    close: async () => {
      await closeServer(server)
      await unlink(opts.socketPath).catch(() => {})
    },
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

async function serveConnection(socket: Socket, opts: AgentServerOptions): Promise<void> {
  const time = new Date()
  socket.on('error', () => {})
  let peer: Peer
  try {
    const cred = await peerCred(socket)
    peer = { ...cred, label: await describePeer(cred.pid) }
  } catch (err) {
    // Fail closed: a peer whose uid cannot be established is not served.
    opts.log({
      time,
      profile: undefined,
      peer: 'unknown',
      host: undefined,
      result: `refused: ${(err as Error).message}`,
    })
    reply(socket, agentError('peer_refused', 'the agent could not establish who is connecting'))
    return
  }
  const peerText = `${peer.label} uid ${peer.uid}`
  if (peer.uid !== opts.uid) {
    opts.log({ time, profile: undefined, peer: peerText, host: undefined, result: 'refused: another user' })
    reply(socket, agentError('peer_refused', `this agent serves only uid ${opts.uid}`))
    return
  }
  const line = await readLine(socket, MAX_REQUEST_BYTES, opts.requestTimeoutMs ?? 5_000)
  if (!line.ok) {
    opts.log({
      time,
      profile: undefined,
      peer: peerText,
      host: undefined,
      result: `bad request: ${line.why}`,
    })
    reply(socket, agentError('bad_request', line.why))
    return
  }
  const parsed = parseRequest(line.text)
  if (!parsed.ok) {
    opts.log({
      time,
      profile: undefined,
      peer: peerText,
      host: undefined,
      result: `${parsed.response.error}: ${parsed.response.description}`,
    })
    reply(socket, parsed.response)
    return
  }
  const { request } = parsed
  const response = await opts.handle(request, peer)
  opts.log({
    time,
    profile: request.profile,
    peer: peerText,
    host: request.host,
    result: isError(response) ? `${response.error}: ${response.description}` : `ok (${response.source})`,
  })
  reply(socket, response)
}

function reply(socket: Socket, response: AgentResponse): void {
  if (!socket.destroyed) socket.end(`${JSON.stringify(response)}\n`)
}
