import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ExitCode } from '../errors.js'
import { endpointProblem, type FleetConfig, fleetConfig } from './config.js'
import { etcdError, FleetDeniedError } from './connection.js'

const fleet: FleetConfig = {
  endpoints: ['https://etcd1:2379'],
  tls: { caFile: '/k/ca.pem', certFile: '/k/vps1.pem', keyFile: '/k/vps1.key' },
  prefix: '/authkeep/v1/',
  name: 'vps1',
  profiles: [],
  machineKeyFile: '/s/machine.key',
}

class EtcdPermissionDeniedError extends Error {}

describe("etcd's failures as authkeep's errors", () => {
  it('denied → 1 with the enrol command; unreachable or no quorum → 6; a refused certificate → 1 naming it', () => {
    const denied = etcdError(new EtcdPermissionDeniedError('etcdserver: permission denied'), fleet, 'read x')
    assert.ok(denied instanceof FleetDeniedError)
    assert.equal(denied.exitCode, ExitCode.error)
    assert.match(denied.next ?? '', /^authkeep fleet host add vps1 /)
    for (const m of [
      '14 UNAVAILABLE: No connection established',
      '4 DEADLINE_EXCEEDED: Deadline exceeded',
      'etcdserver: request timed out',
    ]) {
      const e = etcdError(new Error(m), fleet, 'read x')
      assert.equal(e.exitCode, ExitCode.unavailable, m)
      assert.match(e.message, /^etcd at https:\/\/etcd1:2379 could not be reached or has no quorum/)
    }
    const tls = etcdError(new Error('14 UNAVAILABLE: ... certificate verify failed'), fleet, 'read x')
    assert.equal(tls.exitCode, ExitCode.error)
    assert.match(tls.message, /^\/k\/vps1\.pem: etcd at https:\/\/etcd1:2379 refused the TLS connection/)
  })
})

describe('the fleet section of config.json', () => {
  const paths = { configFile: '/c/config.json', stateDir: '/s', credentialsDir: '/s/c', backupsDir: '/s/b' }
  it('takes https with a client certificate, or plain http to this machine only', () => {
    assert.equal(endpointProblem('https://etcd1:2379', true), undefined)
    assert.match(endpointProblem('https://etcd1:2379', false) ?? '', /no --ca\/--cert\/--key/)
    assert.equal(endpointProblem('http://127.0.0.1:2379', false), undefined)
    assert.match(endpointProblem('http://10.0.0.1:2379', true) ?? '', /plain http:\/\/ to another machine/)
    assert.match(endpointProblem('etcd1:2379', true) ?? '', /must be/)
  })
  it('names the file and the field of what is wrong', () => {
    const base = { endpoints: ['https://etcd1:2379'], prefix: '/authkeep/v1/', name: 'vps1', profiles: [] }
    assert.throws(
      () => fleetConfig(paths as never, { fleet: { ...base, ca_file: '/k/ca.pem' } }),
      /ConfigError: \/c\/config\.json: field "fleet": ca_file, cert_file and key_file go together$/,
    )
    assert.throws(
      () => fleetConfig(paths as never, { fleet: { ...base, name: 'a/b' } }),
      /field "fleet\.name"/,
    )
    assert.throws(
      () => fleetConfig(paths as never, { fleet: base }),
      /field "fleet\.endpoints\.0": is https:\/\/ but no/,
    )
    assert.equal(fleetConfig(paths as never, {}), undefined)
  })
})
