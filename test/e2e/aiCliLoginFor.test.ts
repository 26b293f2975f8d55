// `login --for` over real ssh for the gemini and copilot built-ins: a new grant made on the laptop
// lands in the remote's own CLI file, with sh alone (Gemini) or through the remote's authkeep.
import assert from 'node:assert/strict'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { copilotAt, FAKE_GITHUB, type FakeServices, startFakeServices } from '../bed/aiClis/fakeServices.js'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import { approveWithHttp } from '../bed/httpApprover.js'
import { type Sshd, startSshd } from '../bed/sshd.js'
import { AUTHORIZE_URL, BIN, runCli, type Sandbox, sandbox, spawnCli, waitForStderr } from './harness.js'

const T = { timeout: 60_000 }
const GEMINI_CLIENT_ID = '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com'
const GEMINI_SECRET = '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'

describe('login --for over real ssh, gemini and copilot', () => {
  let server: AuthServer
  let github: FakeServices
  let sshd: Sshd
  let laptop: Sandbox
  let wrapperDir: string

  before(async () => {
    ;[server, sshd] = await Promise.all([
      startAuthServer({
        clientId: GEMINI_CLIENT_ID,
        interop: { clientSecret: GEMINI_SECRET, authMethod: 'client_secret_post' },
      }),
      startSshd(),
    ])
    laptop = await sandbox({ AUTHKEEP_SSH: `ssh -F ${sshd.sshConfigFile}` })
    github = await startFakeServices({ logFile: join(laptop.dir, 'github.jsonl') })
    const gh = `http://127.0.0.1:${github.port}`
    await mkdir(laptop.env.AUTHKEEP_HOME as string, { recursive: true })
    const e = server.endpoints
    await writeFile(
      join(laptop.env.AUTHKEEP_HOME as string, 'config.json'),
      JSON.stringify({
        version: 1,
        profiles: {
          gemini: {
            issuer: server.issuer,
            authorization_endpoint: e.authorization,
            token_endpoint: e.token,
            scope: 'openid offline_access',
            paste_redirect_uri: 'http://127.0.0.1/callback',
          },
          copilot: copilotAt(gh),
        },
      }),
    )
    wrapperDir = join(sshd.dir, 'bin')
    await mkdir(wrapperDir, { recursive: true })
    await writeFile(join(wrapperDir, 'authkeep'), `#!/bin/sh\nexec ${process.execPath} ${BIN} "$@"\n`)
    await chmod(wrapperDir, 0o755)
    await chmod(join(wrapperDir, 'authkeep'), 0o755)
  })

  after(async () => {
    await Promise.all([sshd?.close(), server?.close(), github?.close()])
    await laptop?.cleanup()
  })

  test(
    'gemini, remote without authkeep: the sh writer puts oauth_creds.json where Gemini reads it',
    T,
    async () => {
      const home = join(sshd.home, 'gem-sh')
      await sshd.setSessionEnv({
        GEMINI_CLI_HOME: home,
        AUTHKEEP_HOME: join(home, 'ak'),
        PATH: '/usr/bin:/bin',
      })
      const child = spawnCli(
        ['login', '--for', sshd.alias, '--profile', 'gemini', '--method', 'paste'],
        laptop.env,
      )
      const [, url] = await waitForStderr(child, AUTHORIZE_URL)
      const { redirectedTo } = await approveWithHttp(url as string)
      child.stdin?.end(`${new URL(redirectedTo as string).searchParams.get('code')}\n`)
      const r = await child.output
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /oauth_creds\.json \(0600\) with sh/)
      const file = join(home, '.gemini', 'oauth_creds.json')
      const st = await stat(file)
      assert.equal(st.mode & 0o777, 0o600)
      assert.equal(st.uid, sshd.uid)
      const creds = JSON.parse(await readFile(file, 'utf8'))
      assert.equal(typeof creds.expiry_date, 'number')
      assert.equal(creds.token_type, 'Bearer')
      assert.equal((await server.userinfo(creds.access_token)).status, 200)
      assert.match(creds.refresh_token, /.{20,}/)
    },
  )

  test(
    "copilot, remote with authkeep: it files the token in the remote's Copilot config.json",
    T,
    async () => {
      const home = join(sshd.home, 'cop')
      await sshd.setSessionEnv({
        HOME: home,
        COPILOT_HOME: join(home, '.copilot'),
        AUTHKEEP_HOME: join(home, 'ak'),
        PATH: `${wrapperDir}:/usr/bin:/bin`,
      })
      const r = await runCli(
        ['login', '--for', sshd.alias, '--profile', 'copilot', '--method', 'device'],
        laptop.env,
      )
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /Received a login for profile "copilot"/)
      const text = await readFile(join(home, '.copilot', 'config.json'), 'utf8')
      assert.match(text, /^\/\/ /)
      assert.ok(text.includes(FAKE_GITHUB.token))
      assert.equal((await stat(join(home, '.copilot', 'config.json'))).uid, sshd.uid)
    },
  )

  test('copilot, remote without authkeep: refused with what to do, nothing written', T, async () => {
    const home = join(sshd.home, 'cop-sh')
    await sshd.setSessionEnv({ HOME: home, AUTHKEEP_HOME: join(home, 'ak'), PATH: '/usr/bin:/bin' })
    const r = await runCli(
      ['login', '--for', sshd.alias, '--profile', 'copilot', '--method', 'device'],
      laptop.env,
    )
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stderr, /install authkeep on this host/)
    await assert.rejects(stat(join(home, '.copilot', 'config.json')), /ENOENT/)
  })
})
