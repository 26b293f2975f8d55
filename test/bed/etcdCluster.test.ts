import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type EtcdCluster, startEtcdCluster } from './etcdCluster.js'

describe('etcd test bed', () => {
  let cluster: EtcdCluster
  before(async () => {
    cluster = await startEtcdCluster()
  })
  after(() => cluster?.close())

  it('runs three unprivileged members that agree on writes, with authentication by certificate', async () => {
    assert.equal(cluster.members.length, 3)
    for (const m of cluster.members) assert.ok(m.alive, `${m.name} runs`)
    if (process.getuid?.() === 0) {
      const { readFile } = await import('node:fs/promises')
      for (const m of cluster.members) {
        const status = await readFile(`/proc/${m.pid}/status`, 'utf8')
        assert.match(status, /^Uid:\s+65534\b/m, `${m.name} runs as nobody`)
      }
    }
    const root = await cluster.client()
    await root.put('/bed/x').value('1')
    assert.equal(await root.get('/bed/x').string(), '1')
    await cluster.enableAuth()
    const stranger = await cluster.client('nobody-in-etcd')
    await assert.rejects(stranger.get('/bed/x').string(), /user name|not found|permission|authentication/i)
    assert.equal(await (await cluster.client()).get('/bed/x').string(), '1')
    const leader = await cluster.leader()
    assert.ok(leader >= 0 && leader < 3)
  })
})
