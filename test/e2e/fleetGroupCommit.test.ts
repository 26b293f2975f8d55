// The fleet's group commit (src/fleet/groupCommit.ts) against a real etcd: parts submitted together
// share one transaction, and a part whose compare fails gets what it would have got alone.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Etcd3 } from 'etcd3'
import { groupCommit } from '../../src/fleet/groupCommit.js'
import { type EtcdCluster, startEtcdCluster } from '../bed/etcdCluster.js'

describe("the fleet's group commit", () => {
  let cluster: EtcdCluster
  let client: Etcd3
  before(async () => {
    cluster = await startEtcdCluster({ members: 1 })
    client = await cluster.client()
  })
  after(() => cluster?.close())

  /** A claim-like part: key k must not exist; creates it and reads it back. */
  const create = (k: string) => ({
    compares: [[k, 'Create', 0]] as [[string, 'Create', number]],
    success: () => [client.put(k).value(`v-${k}`), client.get(k)],
    failure: () => [client.get(k)],
  })

  it('commits parts submitted in one turn as one transaction, each with its own responses', async () => {
    const submit = groupCommit(client, 16)
    const results = await Promise.all(['/gc/a', '/gc/b', '/gc/c'].map((k) => submit(create(k))))
    assert.ok(results.every((r) => r.succeeded))
    assert.equal(new Set(results.map((r) => String(r.header.revision))).size, 1, 'one revision: one txn')
    results.forEach((r, i) => {
      assert.equal(r.responses.length, 2)
      assert.equal(r.responses[1]?.response_range?.kvs?.[0]?.value.toString(), `v-/gc/${'abc'[i]}`)
    })
  })

  it('a part whose compare fails gets its own failure branch; the others are committed', async () => {
    await client.put('/gc/taken').value('peer')
    const submit = groupCommit(client, 16)
    const [x, taken, y] = await Promise.all(['/gc/x', '/gc/taken', '/gc/y'].map((k) => submit(create(k))))
    assert.equal(taken?.succeeded, false)
    assert.equal(taken?.responses[0]?.response_range?.kvs?.[0]?.value.toString(), 'peer')
    assert.equal(x?.succeeded, true)
    assert.equal(y?.succeeded, true)
    assert.equal(await client.get('/gc/x').string(), 'v-/gc/x')
    assert.equal(await client.get('/gc/taken').string(), 'peer')
  })

  it('splits a queue longer than maxParts into several transactions', async () => {
    const submit = groupCommit(client, 2)
    const results = await Promise.all(['/gc/m1', '/gc/m2', '/gc/m3'].map((k) => submit(create(k))))
    assert.ok(results.every((r) => r.succeeded))
    assert.equal(new Set(results.map((r) => String(r.header.revision))).size, 2)
  })
})
