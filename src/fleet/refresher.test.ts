import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ownerOf } from './refresher.js'

describe('rendezvous sharing of profiles among refreshers', () => {
  it('every refresher computes the same owner, and a leaving refresher moves only its own profiles', () => {
    const profiles = Array.from({ length: 600 }, (_, i) => `p${i}`)
    const three = ['r1', 'r2', 'r3']
    const owners = profiles.map((p) => ownerOf(p, three))
    assert.deepEqual(
      owners,
      profiles.map((p) => ownerOf(p, [...three].reverse())),
    )
    for (const r of three) {
      const share = owners.filter((o) => o === r).length
      assert.ok(share > 150 && share < 250, `${r} owns ${share} of 600`)
    }
    const two = profiles.map((p) => ownerOf(p, ['r1', 'r3']))
    profiles.forEach((_, i) => {
      if (owners[i] !== 'r2') assert.equal(two[i], owners[i])
    })
    assert.equal(ownerOf('p', []), undefined)
  })
})
