import assert from 'node:assert/strict'
import { copyFile } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { ensureExe } from '../bed/exe.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { addProfile, deviceLogin, runCli, sandbox, spawnCli } from './harness.js'

let server: AuthServer
let proxy: Server
const seen: string[] = []
before(async () => {
  server = await startAuthServer({ deviceInterval: 1 })
  // A plain forward proxy: absolute-form requests are passed on and noted.
  proxy = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    const upstream = request(req.url as string, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    })
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  // undici tunnels through CONNECT, as proxies in front of HTTPS endpoints expect.
  proxy.on('connect', (req, client, head) => {
    seen.push(`CONNECT ${req.url}`)
    const [host, port] = (req.url as string).split(':')
    const upstream = connect(Number(port), host as string, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
})
after(async () => {
  proxy?.closeAllConnections()
  await new Promise((r) => proxy?.close(r))
  await server?.close()
})

test('refresh goes through HTTP_PROXY when one is set, and around it for NO_PROXY hosts', async (t) => {
  const sb = await sandbox(t)
  await addProfile(server, sb.env)
  assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u))).code, 0)
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`

  const via = await runCli(['refresh', '--force'], { ...sb.env, HTTP_PROXY: proxyUrl })
  assert.equal(via.code, 0, via.stderr)
  const target = new URL(server.issuer).host
  assert.ok(seen.includes(`CONNECT ${target}`), seen.join('\n'))

  seen.length = 0
  const around = await runCli(['refresh', '--force'], {
    ...sb.env,
    HTTP_PROXY: proxyUrl,
    NO_PROXY: '127.0.0.1',
  })
  assert.equal(around.code, 0, around.stderr)
  assert.deepEqual(seen, [])
})

test('the single executable goes through the proxy too: undici is inside it', async () => {
  const sb = await sandbox()
  try {
    // A copy alone in a folder: no node_modules above it to find undici in.
    const exe = join(sb.dir, 'authkeep-exe')
    await copyFile(ensureExe(), exe)
    await addProfile(server, sb.env)
    assert.equal((await deviceLogin(sb.env, (u) => approveWithHttp(u))).code, 0)
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`
    seen.length = 0
    const child = spawnCli(['refresh', '--force'], { ...sb.env, HTTP_PROXY: proxyUrl }, 60_000, [exe])
    child.stdin?.end()
    const via = await child.output
    assert.equal(via.code, 0, via.stderr)
    assert.ok(seen.includes(`CONNECT ${new URL(server.issuer).host}`), seen.join('\n'))
  } finally {
    await sb.cleanup()
  }
})
