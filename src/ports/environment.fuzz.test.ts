import { test } from 'node:test'
import fc from 'fast-check'
import { assertShowable, Finding, nastyString, runProperty } from '../../test/fuzz/kit.js'
import { readEnvironment } from './environment.js'

const AREA = 'env'

const sshConnection = fc.oneof(
  nastyString,
  fc
    .tuple(
      nastyString,
      fc.oneof(fc.ipV4(), fc.ipV6(), nastyString),
      fc.oneof(fc.nat(70_000).map(String), nastyString),
    )
    .map(([a, host, port]) => `${a} 5555 ${host} ${port}`),
)
const value = fc.option(nastyString, { nil: undefined })

test('env values: any SSH_CONNECTION, CI, DISPLAY, USER give booleans, a user, and an ssh server with a real port', async () => {
  await runProperty(
    AREA,
    fc.record({
      SSH_CONNECTION: fc.option(sshConnection, { nil: undefined }),
      CI: value,
      DISPLAY: value,
      USER: value,
      SSH_TTY: value,
    }),
    (env) => {
      const e = readEnvironment(env, false, 'linux')
      for (const k of ['ci', 'ssh', 'display'] as const) {
        if (typeof e[k] !== 'boolean') throw new Finding('failure', `${k} is not a boolean`)
      }
      if (typeof e.user !== 'string' || e.user === '') throw new Finding('failure', 'no user')
      if (e.sshServer) {
        const { host, port } = e.sshServer
        // Shown in the `ssh -L … -p PORT user@HOST` hint a person copies.
        if (!Number.isInteger(port) || port < 1 || port > 65_535) {
          throw new Finding('failure', `port ${port} from ${JSON.stringify(env.SSH_CONNECTION)}`)
        }
        assertShowable(host.replace(/FUZZSECRET/g, ''), 'the ssh host')
      }
    },
  )
})
