// The fake API on its own, in this process: replies the CLI depends on, the request log, and the
// allow-list, without the cost of a namespace and a real CLI.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { type FakeApi, type RecordedRequest, startFakeApi } from './fakeApi.js'

async function withFake(fn: (api: FakeApi, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'authkeep-fakeapi-'))
  const api = await startFakeApi({
    logFile: join(dir, 'log.jsonl'),
    behaviourFile: join(dir, 'behaviour.json'),
  })
  try {
    await fn(api, dir)
  } finally {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  }
}

async function log(dir: string): Promise<RecordedRequest[]> {
  const text = await readFile(join(dir, 'log.jsonl'), 'utf8')
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RecordedRequest)
}

function messages(api: FakeApi, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${api.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

test('streams the six events of a one-block "pong" turn, in order', async () => {
  await withFake(async (api) => {
    const res = await messages(api, { model: 'm', stream: true })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
    const events = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((block) => {
        const [event, data] = block.split('\n')
        const parsed = JSON.parse((data ?? '').replace(/^data: /, '')) as {
          type: string
          delta?: { text?: string }
        }
        assert.equal(event, `event: ${parsed.type}`)
        return parsed
      })
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'message_start',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    )
    assert.equal(events[2]?.delta?.text, 'pong')
  })
})

test('answers a non-streaming request with one JSON message', async () => {
  await withFake(async (api) => {
    const res = await messages(api, { model: 'm', stream: false })
    const body = (await res.json()) as {
      content: Array<{ text: string }>
      model: string
      stop_reason: string
    }
    assert.equal(body.content[0]?.text, 'pong')
    assert.equal(body.model, 'm')
    assert.equal(body.stop_reason, 'end_turn')
  })
})

test('records method, path and the three credential headers, one JSON line each', async () => {
  await withFake(async (api, dir) => {
    await fetch(api.url, { method: 'HEAD' })
    await messages(api, { stream: false }, { authorization: 'Bearer tok', 'anthropic-beta': 'b1,b2' })
    await fetch(`${api.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'x-api-key': 'key' },
      body: '{}',
    })
    const recorded = await log(dir)
    assert.deepEqual(
      recorded.map(({ method, path, authorization, xApiKey, anthropicBeta }) => ({
        method,
        path,
        authorization,
        xApiKey,
        anthropicBeta,
      })),
      [
        { method: 'HEAD', path: '/', authorization: undefined, xApiKey: undefined, anthropicBeta: undefined },
        {
          method: 'POST',
          path: '/v1/messages?beta=true',
          authorization: 'Bearer tok',
          xApiKey: undefined,
          anthropicBeta: 'b1,b2',
        },
        {
          method: 'POST',
          path: '/v1/messages/count_tokens',
          authorization: undefined,
          xApiKey: 'key',
          anthropicBeta: undefined,
        },
      ],
    )
  })
})

test('with an allow-list, anything else gets 401 and HEAD still answers', async () => {
  await withFake(async (api, dir) => {
    await writeFile(join(dir, 'behaviour.json'), JSON.stringify({ allow: ['good'] }))
    assert.equal((await messages(api, {}, { 'x-api-key': 'bad' })).status, 401)
    assert.equal((await messages(api, {}, { authorization: 'Bearer bad' })).status, 401)
    assert.equal((await messages(api, {})).status, 401)
    assert.equal((await messages(api, {}, { 'x-api-key': 'good' })).status, 200)
    assert.equal((await messages(api, {}, { authorization: 'Bearer good' })).status, 200)
    assert.equal((await fetch(api.url, { method: 'HEAD' })).status, 200)
    assert.deepEqual(
      (await log(dir)).map((r) => r.status),
      [401, 401, 401, 200, 200, 200],
    )
  })
})

test('other paths get harmless JSON', async () => {
  await withFake(async (api) => {
    const mcp = await fetch(`${api.url}/v1/mcp_servers?limit=1000`)
    assert.deepEqual(await mcp.json(), { data: [], has_more: false })
    const profile = (await (await fetch(`${api.url}/api/oauth/profile`)).json()) as {
      organization: { organization_type: string }
    }
    assert.equal(profile.organization.organization_type, 'claude_pro')
    const other = await fetch(`${api.url}/v1/whatever`, { method: 'POST', body: '{}' })
    assert.equal(other.status, 200)
    assert.deepEqual(await other.json(), {})
  })
})
