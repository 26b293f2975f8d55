import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { fingerprint } from '../../src/stores/claudeCodeStore.js'
import { hostFingerprint } from '../../src/stores/hostId.js'
import { type AuthServer, startAuthServer } from '../bed/authServer.js'
import {
  assertNoSecrets,
  CLAUDE_TEST_SCOPES,
  claudeCredentialsFile,
  freePort,
  runCli,
  sandbox,
} from './harness.js'

const hour = 3_600_000
const day = 24 * hour
const ACCESS = 'sk-ant-oat01-DOCTORTESTACCESSTOKEN-aaaaaaaaaaaaaaaaaaaaaaaa'
const REFRESH = 'sk-ant-ort01-DOCTORTESTREFRESHTOKEN-bbbbbbbbbbbbbbbbbbbbbbbb'
const API_KEY = 'sk-ant-api03-DOCTORTESTAPIKEY-cccccccccccccccccccccccccccc'
const ENV_TOKEN = 'sk-ant-oat01-DOCTORTESTENVTOKEN-dddddddddddddddddddddddddd'
const AUTH_TOKEN = 'DOCTORTESTGATEWAYTOKEN-eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'
const PROXY_PASSWORD = 'DoctorProxyPassw0rd'
// What the canned token endpoint hands out, so a refresh doctor makes cannot leak them either.
const NEW_ACCESS = 'sk-ant-oat01-DOCTORTESTNEWACCESS-ffffffffffffffffffffffffff'
const NEW_REFRESH = 'sk-ant-ort01-DOCTORTESTNEWREFRESH-gggggggggggggggggggggggg'
const SECRETS = [ACCESS, REFRESH, API_KEY, ENV_TOKEN, AUTH_TOKEN, PROXY_PASSWORD, NEW_ACCESS, NEW_REFRESH]
const isRoot = process.getuid?.() === 0
const run = promisify(execFile)

/** Root bypasses permissions, but not the immutable attribute, where the file system supports it. */
async function chattrWorks(): Promise<boolean> {
  if (!isRoot) return false
  const dir = await mkdtemp(join(tmpdir(), 'authkeep-chattr-'))
  try {
    await run('chattr', ['+i', dir])
    await run('chattr', ['-i', dir])
    return true
  } catch {
    return false
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
const canChattr = await chattrWorks()
const MARK = { error: 'X', warning: '!', info: '-' }

/** A healthy Claude Code login: a fresh access token, a refresh token, scopes as an array. */
export function healthyClaudeFile(over: Record<string, unknown> = {}) {
  return claudeCredentialsFile({ accessToken: ACCESS, refreshToken: REFRESH, ...over })
}

/** One sandbox as a case sees it: Claude's files in CLAUDE_CONFIG_DIR, HOME and AUTHKEEP_HOME beside. */
interface Bed {
  dir: string
  home: string
  configDir: string
  credentials: string
  authkeepHome: string
  env: Record<string, string>
}

type Teardown = () => Promise<void>

interface Setup {
  /** Claude's credential file: an object as JSON, a string as it is, null for none; healthy by default. */
  file?: unknown
  env?: Record<string, string>
  setup?: (bed: Bed) => Promise<Teardown | undefined>
  args?: string[]
}

let server: AuthServer
before(async () => {
  server = await startAuthServer({ jsonTokenRequests: true, scopes: CLAUDE_TEST_SCOPES })
})
after(() => server?.close())

/** Points the claude-code profile at `tokenEndpoint`, as config.json overrides do. */
async function pointClaudeAt(bed: Bed, tokenEndpoint: string): Promise<void> {
  await mkdir(bed.authkeepHome, { recursive: true })
  const override = {
    token_endpoint: tokenEndpoint,
    authorization_endpoint: server.endpoints.authorization,
    client_id: server.clientId,
    scope: CLAUDE_TEST_SCOPES.join(' '),
    refresh_scope: CLAUDE_TEST_SCOPES.join(' '),
    paste_redirect_uri: 'http://127.0.0.1/callback',
  }
  await writeFile(
    join(bed.authkeepHome, 'config.json'),
    JSON.stringify({ version: 1, profiles: { 'claude-code': override } }),
  )
}

/**
 * A token endpoint that accepts any refresh with fixed tokens, and whose Date header runs `skewMs` off:
 * the refresh doctor --online makes succeeds, so only what a case breaks is reported.
 */
async function cannedTokenServer(skewMs = 0): Promise<{ url: string; posts(): number; close: Teardown }> {
  let posts = 0
  const s: Server = createServer((req, res) => {
    req.resume()
    res.setHeader('date', new Date(Date.now() + skewMs).toUTCString())
    if (req.method !== 'POST') return void res.writeHead(405).end()
    posts += 1
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(
      JSON.stringify({
        access_token: NEW_ACCESS,
        refresh_token: NEW_REFRESH,
        token_type: 'Bearer',
        expires_in: 28_800,
        scope: CLAUDE_TEST_SCOPES.join(' '),
      }),
    )
  })
  s.keepAliveTimeout = 500
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/token`,
    posts: () => posts,
    close: () =>
      new Promise<void>((resolve) => {
        s.close(() => resolve())
        s.closeAllConnections()
      }),
  }
}

async function makeBed(setup: Setup): Promise<{ bed: Bed; cleanup: Teardown }> {
  const sb = await sandbox()
  const configDir = join(sb.dir, 'claude')
  const bed: Bed = {
    dir: sb.dir,
    home: sb.env.HOME as string,
    configDir,
    credentials: join(configDir, '.credentials.json'),
    authkeepHome: sb.env.AUTHKEEP_HOME as string,
    env: sb.env,
  }
  sb.env.CLAUDE_CONFIG_DIR = configDir
  Object.assign(sb.env, setup.env)
  await mkdir(configDir, { recursive: true, mode: 0o700 })
  if (setup.file !== null) {
    const file = setup.file ?? healthyClaudeFile()
    await writeFile(bed.credentials, typeof file === 'string' ? file : JSON.stringify(file), { mode: 0o600 })
  }
  const teardown = await setup.setup?.(bed)
  return {
    bed,
    cleanup: async () => {
      await teardown?.()
      await sb.cleanup()
    },
  }
}

/** Runs doctor for claude-code in a sandbox built from `setup`, as --json and as text. */
async function doctor(setup: Setup) {
  const { bed, cleanup } = await makeBed(setup)
  try {
    const args = setup.args ?? []
    const json = await runCli(['doctor', '--json', ...args], bed.env)
    const text = await runCli(['doctor', ...args], bed.env)
    return { json, text, report: JSON.parse(json.stdout), configDir: bed.configDir }
  } finally {
    await cleanup()
  }
}

test('a healthy Claude Code login: exit 0, no findings', async () => {
  const { json, report, text } = await doctor({})
  assert.equal(json.code, 0, json.stdout)
  assert.equal(report.healthy, true)
  assert.deepEqual(report.findings, [])
  assert.match(text.stdout, /no problems found/)
})

test('a healthy login, --online: the endpoint answers, the clock agrees, one refresh under the lock', async () => {
  const canned = await cannedTokenServer()
  const { bed, cleanup } = await makeBed({})
  try {
    await pointClaudeAt(bed, canned.url)
    const r = await runCli(['doctor', '--online', '--json'], bed.env)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.deepEqual(JSON.parse(r.stdout).findings, [])
    assert.equal(r.stderr, '')
    assert.equal(canned.posts(), 1, 'login.online refreshed exactly once')
    const file = JSON.parse(await readFile(bed.credentials, 'utf8'))
    assert.equal(file.claudeAiOauth.refreshToken, NEW_REFRESH, 'the rotated refresh token was written back')
    assert.equal(file.claudeAiOauth.subscriptionType, 'pro')
    assertNoSecrets([r.stdout, r.stderr], SECRETS)
  } finally {
    await cleanup()
    await canned.close()
  }
})

const sidecar = (over: Record<string, unknown>) => async (bed: Bed) => {
  await writeFile(
    join(bed.configDir, '.authkeep-state.json'),
    JSON.stringify({ host: hostFingerprint(), refresh_token_sha256: fingerprint(REFRESH), ...over }),
  )
  return undefined
}

/** A setup that points claude-code at a canned token endpoint whose clock is `skewMs` off. */
const withServer =
  (skewMs: number) =>
  async (bed: Bed): Promise<Teardown> => {
    const canned = await cannedTokenServer(skewMs)
    await pointClaudeAt(bed, canned.url)
    return canned.close
  }

interface Case extends Setup {
  name: string
  id: string
  severity: 'error' | 'warning' | 'info'
  fix: RegExp | null
  /** Also matched against the finding's `found`. */
  found?: RegExp
  /** Why the case cannot run here, if it cannot. */
  skip?: string | false
}

const cases: Case[] = [
  {
    name: 'no credential file',
    file: null,
    id: 'credentials.missing',
    severity: 'error',
    fix: /^authkeep login --profile claude-code$/,
  },
  {
    name: 'ANTHROPIC_API_KEY exported',
    env: { ANTHROPIC_API_KEY: API_KEY },
    id: 'env.anthropic_api_key',
    severity: 'error',
    fix: /^unset ANTHROPIC_API_KEY$/,
  },
  {
    name: 'a credential file cut off mid-write',
    file: JSON.stringify(healthyClaudeFile()).slice(0, 40),
    id: 'credentials.unparseable',
    severity: 'error',
    fix: /^authkeep reset --profile claude-code$/,
    found: /is not valid JSON/,
  },
  {
    name: 'an empty credential file',
    file: '',
    id: 'credentials.unparseable',
    severity: 'error',
    fix: /^authkeep reset --profile claude-code$/,
    found: /is empty/,
  },
  {
    name: 'a credential file in the wrong shape',
    file: healthyClaudeFile({ accessToken: 42 }),
    id: 'credentials.unparseable',
    severity: 'error',
    fix: /^authkeep reset --profile claude-code$/,
    found: /field "claudeAiOauth\.accessToken"/,
  },
  {
    name: 'a credential symlink whose target is gone',
    file: null,
    setup: async (bed) => {
      await symlink(join(bed.dir, 'gone.json'), bed.credentials)
      return undefined
    },
    id: 'credentials.unparseable',
    severity: 'error',
    fix: /^authkeep login --profile claude-code$/,
    found: /which does not exist$/,
  },
  {
    // Reading a FIFO blocks until a writer comes: doctor hung here for ever.
    name: 'a FIFO in place of the credential file',
    file: null,
    setup: async (bed) => {
      await run('mkfifo', ['-m', '600', bed.credentials])
      return undefined
    },
    id: 'credentials.unparseable',
    severity: 'error',
    fix: /^ls -l \/\S+\/claude\/\.credentials\.json$/,
    found: /is a FIFO \(named pipe\), not a regular file/,
  },
  {
    name: 'a credential file other users can read',
    setup: async (bed) => {
      await chmod(bed.credentials, 0o644)
      return undefined
    },
    id: 'credentials.mode',
    severity: 'error',
    fix: /^chmod 600 \/\S+\/claude\/\.credentials\.json$/,
    found: /mode 0644/,
  },
  {
    name: 'a credential file owned by another user',
    skip: !isRoot && 'chown to another uid needs root (a unit test covers it)',
    setup: async (bed) => {
      await chown(bed.credentials, 65534, 65534)
      return undefined
    },
    id: 'credentials.owner',
    severity: 'error',
    fix: /^sudo chown 0 \/\S+\/\.credentials\.json$/,
    found: /owned by uid 65534/,
  },
  {
    name: 'a credential file that is a symlink into dotfiles',
    file: null,
    setup: async (bed) => {
      const target = join(bed.dir, 'dotfiles', 'claude-credentials.json')
      await mkdir(join(bed.dir, 'dotfiles'))
      await writeFile(target, JSON.stringify(healthyClaudeFile()), { mode: 0o600 })
      await symlink(target, bed.credentials)
      return undefined
    },
    id: 'credentials.symlink',
    severity: 'warning',
    fix: /^cp --remove-destination "\$\(readlink -f \/\S+\/\.credentials\.json\)" \/\S+\/\.credentials\.json$/,
  },
  {
    name: 'expiresAt written as 0',
    file: healthyClaudeFile({ expiresAt: 0 }),
    id: 'credentials.shape',
    severity: 'error',
    fix: /^authkeep refresh --profile claude-code --force$/,
    found: /expiresAt 0/,
  },
  {
    name: 'no expiresAt at all',
    file: healthyClaudeFile({ expiresAt: undefined }),
    id: 'credentials.shape',
    severity: 'error',
    fix: /^authkeep refresh --profile claude-code --force$/,
    found: /has no expiresAt/,
  },
  {
    name: 'expiresAt as a string',
    file: healthyClaudeFile({ expiresAt: '2030-01-01' }),
    id: 'credentials.shape',
    severity: 'error',
    fix: /^authkeep reset --profile claude-code$/,
    found: /expiresAt that is a string/,
  },
  {
    name: 'scopes as a string (Claude Code hangs at start-up)',
    file: healthyClaudeFile({ scopes: 'user:inference user:profile' }),
    id: 'credentials.shape',
    severity: 'error',
    fix: /^authkeep refresh --profile claude-code --force$/,
    found: /scopes as a string/,
  },
  {
    name: 'a login without user:inference (Claude Code says "Not logged in")',
    file: healthyClaudeFile({ scopes: ['openid', 'offline_access'] }),
    id: 'credentials.scope_inference',
    severity: 'error',
    fix: /^authkeep reset --profile claude-code$/,
    found: /without user:inference/,
  },
  {
    name: 'an expired access token with a refresh token',
    file: healthyClaudeFile({ expiresAt: Date.now() - hour }),
    id: 'access.expired',
    severity: 'warning',
    fix: /^authkeep refresh --profile claude-code$/,
    found: /expired 60 min ago/,
  },
  {
    name: "an access token inside Claude Code's 5 minutes",
    file: healthyClaudeFile({ expiresAt: Date.now() + 2 * 60_000 }),
    id: 'access.expired',
    severity: 'warning',
    fix: /^authkeep refresh --profile claude-code --force$/,
  },
  {
    name: 'tokens Claude Code wiped after invalid_grant',
    file: healthyClaudeFile({ accessToken: '', refreshToken: '', expiresAt: 0 }),
    id: 'refresh.missing',
    severity: 'error',
    fix: /^authkeep reset --profile claude-code$/,
    found: /Claude Code wipes them/,
  },
  {
    name: 'no refresh token',
    file: healthyClaudeFile({ refreshToken: undefined }),
    id: 'refresh.missing',
    severity: 'error',
    fix: /^authkeep reset --profile claude-code$/,
  },
  {
    name: 'a login that ends in 3 days',
    file: healthyClaudeFile({ refreshTokenExpiresAt: Date.now() + 3 * day + hour }),
    id: 'login.ending',
    severity: 'warning',
    fix: /^authkeep login --profile claude-code$/,
    found: /in 3 days/,
  },
  {
    name: 'a login that ends in 20 days',
    file: healthyClaudeFile({ refreshTokenExpiresAt: Date.now() + 20 * day + hour }),
    id: 'login.ending',
    severity: 'info',
    fix: /^authkeep login --profile claude-code$/,
  },
  {
    name: 'authkeep marked the current refresh token as refused',
    setup: sidecar({ state: 'login_required', state_reason: 'the server rejected the refresh token' }),
    id: 'login.marked',
    severity: 'error',
    fix: /^authkeep reset --profile claude-code$/,
    found: /the server rejected the refresh token/,
  },
  {
    name: 'a credential copied from another machine',
    setup: sidecar({ host: 'elsewhere#0123456789ab', state: 'active' }),
    id: 'host.mismatch',
    severity: 'warning',
    fix: /^authkeep reset --profile claude-code$/,
    found: /written on elsewhere#0123456789ab/,
  },
  {
    name: 'ANTHROPIC_AUTH_TOKEN exported',
    env: { ANTHROPIC_AUTH_TOKEN: AUTH_TOKEN },
    id: 'env.anthropic_auth_token',
    severity: 'error',
    fix: /^unset ANTHROPIC_AUTH_TOKEN$/,
  },
  {
    name: 'CLAUDE_CODE_OAUTH_TOKEN exported',
    env: { CLAUDE_CODE_OAUTH_TOKEN: ENV_TOKEN },
    id: 'env.claude_code_oauth_token',
    severity: 'warning',
    fix: /^unset CLAUDE_CODE_OAUTH_TOKEN$/,
  },
  {
    name: 'Bedrock switched on',
    env: { CLAUDE_CODE_USE_BEDROCK: '1' },
    id: 'env.cloud_provider',
    severity: 'warning',
    fix: /^unset CLAUDE_CODE_USE_BEDROCK$/,
  },
  {
    name: 'an apiKeyHelper in settings.json',
    setup: async (bed) => {
      await writeFile(join(bed.configDir, 'settings.json'), JSON.stringify({ apiKeyHelper: '~/bin/key.sh' }))
      return undefined
    },
    id: 'settings.api_key_helper',
    severity: 'warning',
    fix: /^node -e '.*delete j\.apiKeyHelper.*' \/\S+\/settings\.json$/,
  },
  {
    name: 'an apiKeyHelper that asks authkeep',
    setup: async (bed) => {
      const helper = "'/usr/bin/node' '/opt/authkeep/bin/authkeep.mjs' claude helper --profile 'claude-code'"
      await writeFile(join(bed.configDir, 'settings.json'), JSON.stringify({ apiKeyHelper: helper }))
      return undefined
    },
    id: 'settings.api_key_helper',
    severity: 'info',
    fix: null,
  },
  {
    name: 'a second login in ~/.claude besides CLAUDE_CONFIG_DIR',
    setup: async (bed) => {
      await mkdir(join(bed.home, '.claude'), { recursive: true })
      await writeFile(join(bed.home, '.claude', '.credentials.json'), JSON.stringify(healthyClaudeFile()))
      return undefined
    },
    id: 'env.config_dir_split',
    severity: 'warning',
    fix: /^mv \/\S+\/home\/\.claude\/\.credentials\.json \/\S+\.authkeep-bak$/,
    found: /with the same refresh token/,
  },
  {
    name: 'a relative CLAUDE_CONFIG_DIR',
    setup: async (bed) => {
      // The CLI runs in this process's directory, so the relative path still finds the file.
      bed.env.CLAUDE_CONFIG_DIR = relative(process.cwd(), bed.configDir)
      return undefined
    },
    id: 'env.config_dir_split',
    severity: 'warning',
    fix: /^export CLAUDE_CONFIG_DIR=\/\S+\/claude$/,
  },
  {
    name: 'HOME owned by another user (sudo without -H)',
    skip: !isRoot && 'chown to another uid needs root (a unit test covers it)',
    setup: async (bed) => {
      await mkdir(bed.home, { recursive: true })
      await chown(bed.home, 65534, 65534)
      return undefined
    },
    id: 'home.owner',
    severity: 'error',
    fix: /^sudo -H -u "\$\(stat -c %U \/\S+\/home\)" authkeep doctor --profile claude-code$/,
  },
  {
    name: 'an immutable config dir (refreshed tokens cannot be saved)',
    skip: !canChattr && 'chattr +i needs root and a file system that has it (a unit test covers it)',
    setup: async (bed) => {
      await run('chattr', ['+i', bed.configDir])
      return async () => {
        await run('chattr', ['-i', bed.configDir])
      }
    },
    id: 'config_dir.readonly',
    severity: 'error',
    fix: /^sudo chattr -i \/\S+\/claude$/,
  },
  {
    name: 'a full disk under the config dir (a real tmpfs, filled to its last byte)',
    skip: !isRoot && 'mounting a tmpfs needs root',
    setup: async (bed) => {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', bed.configDir])
      await writeFile(bed.credentials, JSON.stringify(healthyClaudeFile()), { mode: 0o600 })
      const filler = await open(join(bed.configDir, 'filler'), 'a')
      try {
        for (let i = 0; i < 1_000; i++) await filler.write(Buffer.alloc(4096, 120))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
      } finally {
        await filler.close()
      }
      return async () => {
        await run('umount', [bed.configDir]).catch(() => run('umount', ['-l', bed.configDir]))
      }
    },
    id: 'disk.full',
    severity: 'error',
    fix: /^df -h \/\S+\/claude$/,
  },
  {
    name: 'a config dir other users can write to (they could swap the file)',
    setup: async (bed) => {
      await chmod(bed.configDir, 0o777)
      return undefined
    },
    id: 'credentials.dir',
    severity: 'error',
    fix: /^chmod go-w \/\S+\/claude$/,
    found: /mode 0777: other users can create and rename files in it/,
  },
  {
    name: 'a config dir that is a shared sticky directory, as /tmp is (a chmod would take it from others)',
    setup: async (bed) => {
      await chmod(bed.configDir, 0o1777)
      return undefined
    },
    id: 'credentials.dir',
    severity: 'error',
    fix: /^export CLAUDE_CONFIG_DIR="\$HOME\/\.claude"$/,
    found: /mode 1777/,
  },
  {
    name: 'a config dir owned by another user',
    skip: !isRoot && 'chown to another uid needs root',
    setup: async (bed) => {
      await chown(bed.configDir, 65534, 65534)
      return undefined
    },
    id: 'credentials.dir',
    severity: 'error',
    fix: /^sudo chown \d+ \/\S+\/claude$/,
    found: /is owned by uid 65534/,
  },
  {
    name: 'a refresh lock left by a crashed process',
    setup: async (bed) => {
      const lock = join(bed.configDir, '.oauth_refresh.lock')
      await mkdir(lock)
      const old = new Date(Date.now() - 60_000)
      await utimes(lock, old, old)
      return undefined
    },
    id: 'lock.stale',
    severity: 'warning',
    fix: /^rmdir \/\S+\/claude\/\.oauth_refresh\.lock$/,
  },
  {
    name: 'two Claude Code processes on one login',
    setup: async (bed) => {
      const proc = join(bed.dir, 'proc')
      const fake = async (pid: number, argv: string[], env: string[]) => {
        await mkdir(join(proc, String(pid)), { recursive: true })
        await writeFile(join(proc, String(pid), 'cmdline'), `${argv.join('\0')}\0`)
        await writeFile(join(proc, String(pid), 'environ'), `${env.join('\0')}\0`)
      }
      await fake(4101, ['claude'], [`HOME=${bed.home}`, `CLAUDE_CONFIG_DIR=${bed.configDir}`])
      await fake(
        4102,
        ['/usr/lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe', '-p', 'hi'],
        [`CLAUDE_CONFIG_DIR=${bed.configDir}`],
      )
      await fake(4103, ['claude'], [`HOME=${bed.home}`])
      await fake(4104, ['bash'], [`CLAUDE_CONFIG_DIR=${bed.configDir}`])
      bed.env.AUTHKEEP_PROC_ROOT = proc
      return undefined
    },
    id: 'processes.shared',
    severity: 'warning',
    fix: /^authkeep refresh --profile claude-code$/,
    found: /^2 Claude Code processes use \S+ \(pids 4101, 4102\)$/,
  },
  {
    name: 'an SSH session without a display',
    env: { SSH_CONNECTION: '192.0.2.1 50000 192.0.2.2 22' },
    id: 'ssh.headless',
    severity: 'info',
    fix: /^authkeep login --profile claude-code$/,
  },
  {
    name: 'CLAUDE_CODE_OAUTH_TOKEN without onboarding done',
    env: { CLAUDE_CODE_OAUTH_TOKEN: ENV_TOKEN },
    id: 'onboarding.missing',
    severity: 'warning',
    fix: /^node -e '.*j\.hasCompletedOnboarding=true.*' \/\S+\/claude\/\.claude\.json$/,
    found: /does not exist/,
  },
  {
    name: 'a proxy with a password in its URL',
    env: { HTTPS_PROXY: `http://me:${PROXY_PASSWORD}@proxy.example:3128`, NO_PROXY: 'localhost' },
    id: 'env.proxy',
    severity: 'info',
    fix: null,
    found: /^HTTPS_PROXY=http:\/\/\*\*\*@proxy\.example:3128; NO_PROXY=localhost$/,
  },
  {
    name: 'a proxy that cannot reach the token endpoint (--online)',
    args: ['--online'],
    setup: async (bed) => {
      const port = await freePort()
      bed.env.HTTP_PROXY = `http://me:${PROXY_PASSWORD}@127.0.0.1:${port}`
      return withServer(0)(bed)
    },
    id: 'env.proxy',
    severity: 'warning',
    fix: /^export NO_PROXY=127\.0\.0\.1$/,
    found: /cannot be reached through HTTP_PROXY \(proxy 127\.0\.0\.1:\d+: ECONNREFUSED\)/,
  },
  {
    name: 'nothing listens at the token endpoint (--online)',
    args: ['--online'],
    setup: async (bed) => {
      await pointClaudeAt(bed, `http://127.0.0.1:${await freePort()}/token`)
      return undefined
    },
    id: 'net.token_endpoint',
    severity: 'error',
    fix: /^curl -sSv -o \/dev\/null --max-time 10 --noproxy '\*' -I http:\/\/127\.0\.0\.1:\d+\/token$/,
    found: /^TCP connection to 127\.0\.0\.1:\d+ failed \(ECONNREFUSED\)/,
  },
  {
    name: 'the token endpoint does not speak TLS (--online)',
    args: ['--online'],
    setup: async (bed) => {
      await pointClaudeAt(bed, server.endpoints.token.replace('http:', 'https:'))
      return undefined
    },
    id: 'net.token_endpoint',
    severity: 'error',
    fix: /^curl .* -I https:\/\/127\.0\.0\.1:\d+\/token$/,
    found: /^TLS handshake with 127\.0\.0\.1:\d+ failed/,
  },
  {
    name: "the token endpoint's host does not resolve (--online)",
    args: ['--online'],
    setup: async (bed) => {
      await pointClaudeAt(bed, 'https://authkeep-doctor-test.invalid/token')
      return undefined
    },
    id: 'net.token_endpoint',
    severity: 'error',
    fix: /^curl .* -I https:\/\/authkeep-doctor-test\.invalid\/token$/,
    found: /^DNS lookup of authkeep-doctor-test\.invalid failed/,
  },
  {
    name: "a clock an hour off the server's (--online)",
    args: ['--online'],
    setup: withServer(-hour),
    id: 'clock.skew',
    severity: 'warning',
    fix: /^sudo timedatectl set-ntp true$/,
    found: /clock is 36\d\d s ahead of 127\.0\.0\.1:\d+/,
  },
  {
    name: 'a refresh token the server refuses (--online)',
    args: ['--online'],
    setup: async (bed) => {
      await pointClaudeAt(bed, server.endpoints.token)
      return undefined
    },
    id: 'login.online',
    severity: 'error',
    fix: /^authkeep reset --profile claude-code$/,
    found: /refused/,
  },
  {
    name: 'an authkeep record other users can read (any profile)',
    args: ['--profile', 'work'],
    setup: async (bed) => {
      await mkdir(join(bed.authkeepHome, 'state', 'credentials'), { recursive: true })
      await writeFile(
        join(bed.authkeepHome, 'config.json'),
        JSON.stringify({
          version: 1,
          profiles: { work: { token_endpoint: 'http://127.0.0.1:9/token', client_id: 'doctor-test' } },
        }),
      )
      const now = new Date().toISOString()
      await writeFile(
        join(bed.authkeepHome, 'state', 'credentials', 'work.json'),
        JSON.stringify({
          version: 1,
          profile: 'work',
          state: 'active',
          secrets_in: 'file',
          access_token: ACCESS,
          refresh_token: REFRESH,
          expires_at: new Date(Date.now() + hour).toISOString(),
          obtained_at: now,
          updated_at: now,
          host: hostFingerprint(),
        }),
        { mode: 0o644 },
      )
      return undefined
    },
    id: 'credentials.mode',
    severity: 'error',
    fix: /^chmod 600 \/\S+\/state\/credentials\/work\.json$/,
  },
  ...codexCases(),
  {
    name: 'a fleet host whose etcd cannot be reached (issue 10)',
    args: ['--profile', 'work'],
    setup: async (bed) => {
      const { generateKeyPairSync } = await import('node:crypto')
      const fleet = {
        endpoints: ['http://127.0.0.1:9'],
        prefix: '/authkeep/v1/',
        name: 'vps1',
        profiles: ['work'],
      }
      await mkdir(join(bed.authkeepHome, 'state', 'fleet'), { recursive: true, mode: 0o700 })
      await writeFile(
        join(bed.authkeepHome, 'config.json'),
        JSON.stringify({ version: 1, profiles: {}, fleet }),
      )
      const key = generateKeyPairSync('x25519').privateKey.export({ format: 'pem', type: 'pkcs8' })
      await writeFile(join(bed.authkeepHome, 'state', 'fleet', 'machine.key'), key, { mode: 0o600 })
      return undefined
    },
    id: 'fleet.login',
    severity: 'warning',
    fix: /^authkeep fleet status$/,
    found: /^etcd at http:\/\/127\.0\.0\.1:9 could not be reached/,
  },
]

/** The codex profile's own checks, on a Codex auth.json in the bed's $CODEX_HOME. */
function codexCases(): Case[] {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const jwt = (claims: unknown) => `${b64({ alg: 'none' })}.${b64(claims)}.c2ln`
  const auth = (expIn: number) => ({
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: jwt({ email: 'dev@example.test' }),
      access_token: jwt({ exp: Math.floor(Date.now() / 1000) + expIn }),
      refresh_token: REFRESH,
      account_id: 'acct',
    },
    last_refresh: new Date().toISOString(),
  })
  const codexFile = (json: unknown) => async (bed: Bed) => {
    const home = join(bed.dir, 'codex')
    bed.env.CODEX_HOME = home
    await mkdir(home, { recursive: true, mode: 0o700 })
    await writeFile(join(home, 'auth.json'), JSON.stringify(json), { mode: 0o600 })
    return undefined
  }
  const args = ['--profile', 'codex']
  return [
    {
      name: 'Codex auth.json holding only an API key',
      args,
      setup: codexFile({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-doctor-table-0000' }),
      id: 'codex.login',
      severity: 'error',
      fix: /^authkeep login --profile codex$/,
      found: /API key login/,
    },
    {
      name: "Codex's access token inside its 5-minute window",
      args,
      setup: codexFile(auth(120)),
      id: 'codex.expired',
      severity: 'warning',
      fix: /^authkeep refresh --profile codex --force$/,
    },
    {
      name: 'Codex auth.json copied here long after its last refresh',
      args,
      setup: async (bed) => {
        const copied = { ...auth(3600), last_refresh: new Date(Date.now() - 2 * 86_400_000).toISOString() }
        return codexFile(copied)(bed)
      },
      id: 'codex.copied',
      severity: 'warning',
      fix: /^authkeep reset --profile codex$/,
      found: /copied from another machine/,
    },
    {
      name: 'Codex set to keep its login in the keyring',
      args,
      setup: async (bed) => {
        await codexFile(auth(3600))(bed)
        await writeFile(
          join(bed.dir, 'codex', 'config.toml'),
          'model = "x"\ncli_auth_credentials_store = "keyring"\n',
        )
        return undefined
      },
      id: 'codex.store',
      severity: 'error',
      fix: /^sed -i '\/\^\\s\*cli_auth_credentials_store\\s\*=\/d' \/\S+\/codex\/config\.toml$/,
    },
    {
      name: 'CODEX_API_KEY exported',
      args,
      env: { CODEX_API_KEY: API_KEY },
      setup: codexFile(auth(3600)),
      id: 'env.codex_api_key',
      severity: 'warning',
      fix: /^unset CODEX_API_KEY$/,
    },
    {
      name: 'OPENAI_API_KEY exported',
      args,
      env: { OPENAI_API_KEY: API_KEY },
      setup: codexFile(auth(3600)),
      id: 'env.openai_api_key',
      severity: 'warning',
      fix: /^unset OPENAI_API_KEY$/,
    },
  ]
}

for (const c of cases) {
  test(`doctor finds: ${c.name} → ${c.id}`, { skip: c.skip || false }, async () => {
    const { json, text, report } = await doctor(c)
    const f = report.findings.find(
      (x: { id: string; found: string }) => x.id === c.id && (!c.found || c.found.test(x.found)),
    )
    assert.ok(f, `no ${c.id} in ${json.stdout}`)
    assert.equal(f.severity, c.severity, json.stdout)
    if (c.fix === null) assert.equal(f.fix, null)
    else assert.match(f.fix, c.fix)
    assert.equal(
      json.code,
      c.severity === 'error' ? 8 : c.severity === 'warning' ? 7 : 0,
      `the worst finding sets the exit code: ${json.stdout}`,
    )
    // The text run is a second run: times in `found` may differ, so the line is matched, not compared.
    const shown = text.stdout
      .split('\n')
      .filter((l) => l.startsWith(`${MARK[c.severity]} ${c.severity} ${c.id}: `))
      .map((l) => l.slice(l.indexOf(': ') + 2))
    assert.ok(
      shown.some((l) => !c.found || c.found.test(l)),
      text.stdout,
    )
    if (f.fix) assert.ok(text.stdout.includes(`fix: ${f.fix}`), text.stdout)
    assertNoSecrets([json.stdout, json.stderr, text.stdout, text.stderr], SECRETS)
  })
}

test('every check has a case in the table', async () => {
  const { CHECKS } = await import('../../src/doctor/checks/index.js')
  const covered = new Set(cases.map((c) => c.id))
  // The gemini and copilot built-ins' own checks have their cases in aiCliDoctor.test.ts.
  const elsewhere = ['gemini', 'copilot']
  const here = CHECKS.filter((c) => !c.kinds?.every((k) => elsewhere.includes(k)))
  assert.deepEqual(
    here.map((c) => c.id).filter((id) => !covered.has(id)),
    [],
  )
})

/** The safe fixes: each is applied by --fix, announced, and gone from the next run. */
const autofixes: Array<{
  name: string
  setup: Setup
  id: string
  fixed: RegExp
  after: (bed: Bed) => Promise<void>
}> = [
  {
    name: 'credential file mode',
    setup: {
      setup: async (bed) => {
        await chmod(bed.credentials, 0o640)
        return undefined
      },
    },
    id: 'credentials.mode',
    fixed: /^chmod 600 \/\S+\/\.credentials\.json$/,
    after: async (bed) => assert.equal((await stat(bed.credentials)).mode & 0o777, 0o600),
  },
  {
    name: 'scopes as a string',
    setup: {
      file: { ...healthyClaudeFile({ scopes: 'user:inference user:profile' }), mcpOAuth: { kept: 1 } },
    },
    id: 'credentials.shape',
    fixed: /^set scopes in \S+ to \["user:inference","user:profile"\]/,
    after: async (bed) => {
      const file = JSON.parse(await readFile(bed.credentials, 'utf8'))
      assert.deepEqual(file.claudeAiOauth.scopes, ['user:inference', 'user:profile'])
      assert.equal(file.claudeAiOauth.refreshToken, REFRESH, 'the tokens are kept')
      assert.deepEqual(file.mcpOAuth, { kept: 1 }, 'other keys are kept')
      assert.equal((await stat(bed.credentials)).mode & 0o777, 0o600)
    },
  },
  {
    name: 'a stale lock',
    setup: {
      setup: async (bed) => {
        const old = new Date(Date.now() - 60_000)
        for (const lock of [join(bed.configDir, '.oauth_refresh.lock'), `${bed.configDir}.lock`]) {
          await mkdir(lock)
          await utimes(lock, old, old)
        }
        return undefined
      },
    },
    id: 'lock.stale',
    fixed: /^removed the stale lock \/\S+\.lock$/,
    after: async (bed) => {
      assert.equal(await lstat(join(bed.configDir, '.oauth_refresh.lock')).catch(() => 'gone'), 'gone')
      assert.equal(await lstat(`${bed.configDir}.lock`).catch(() => 'gone'), 'gone')
    },
  },
  {
    name: 'onboarding flag',
    setup: {
      env: { CLAUDE_CODE_OAUTH_TOKEN: ENV_TOKEN },
      setup: async (bed) => {
        await writeFile(join(bed.configDir, '.claude.json'), JSON.stringify({ theme: 'dark', userID: 'u1' }))
        return undefined
      },
    },
    id: 'onboarding.missing',
    fixed:
      /^set "hasCompletedOnboarding": true in \S+\/\.claude\.json \(the previous file is in \S+\.claude\.json\.authkeep-bak-\S+\)$/,
    after: async (bed) => {
      const file = join(bed.configDir, '.claude.json')
      assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {
        theme: 'dark',
        userID: 'u1',
        hasCompletedOnboarding: true,
      })
      const backups = (await readdir(bed.configDir)).filter((n) => n.startsWith('.claude.json.authkeep-bak-'))
      assert.equal(backups.length, 1)
      const backup = join(bed.configDir, backups[0] as string)
      assert.deepEqual(JSON.parse(await readFile(backup, 'utf8')), { theme: 'dark', userID: 'u1' })
      assert.equal((await stat(backup)).mode & 0o777, 0o600)
    },
  },
]

for (const a of autofixes) {
  test(`doctor --fix: ${a.name} → ${a.id} is fixed, announced, and gone`, async () => {
    const { bed, cleanup } = await makeBed(a.setup)
    try {
      const fixing = await runCli(['doctor', '--fix', '--json'], bed.env)
      const report = JSON.parse(fixing.stdout)
      assert.ok(
        report.fixed.some((line: string) => a.fixed.test(line)),
        `no announcement ${a.fixed} in ${fixing.stdout}`,
      )
      assert.ok(!report.findings.some((f: { id: string }) => f.id === a.id), fixing.stdout)
      await a.after(bed)
      const again = await runCli(['doctor'], bed.env)
      assert.ok(!again.stdout.includes(`${a.id}:`), again.stdout)
      assertNoSecrets([fixing.stdout, fixing.stderr, again.stdout, again.stderr], SECRETS)
    } finally {
      await cleanup()
    }
  })
}

test('doctor --fix announces in text what it did, and lists what it left', async () => {
  const { bed, cleanup } = await makeBed({
    env: { ANTHROPIC_API_KEY: API_KEY },
    setup: async (b) => {
      await chmod(b.credentials, 0o644)
      return undefined
    },
  })
  try {
    const r = await runCli(['doctor', '--fix'], bed.env)
    assert.equal(r.code, 8, 'the API key is not a safe fix: it is still an error')
    assert.match(r.stdout, /^✓ fixed: chmod 600 \S+\/\.credentials\.json$/m)
    assert.match(r.stdout, /^✓ fixed: set "hasCompletedOnboarding": true in /m)
    assert.match(r.stdout, /^X error env\.anthropic_api_key: /m)
    assert.ok(!r.stdout.includes('credentials.mode:'), r.stdout)
    assertNoSecrets([r.stdout, r.stderr], SECRETS)
  } finally {
    await cleanup()
  }
})

test('an invalid config.json is a finding, config.invalid, in --json as in text: exit 8, the file and field named', async () => {
  const { bed, cleanup } = await makeBed({})
  try {
    await mkdir(bed.authkeepHome, { recursive: true })
    await writeFile(
      join(bed.authkeepHome, 'config.json'),
      JSON.stringify({ version: 1, profiles: { 'claude-code': { refresh_margin_seconds: 'soon' } } }),
    )
    const json = await runCli(['doctor', '--json'], bed.env)
    assert.equal(json.code, 8, json.stderr)
    assert.equal(json.stderr, '')
    const report = JSON.parse(json.stdout)
    assert.equal(report.profile, 'claude-code')
    assert.equal(report.healthy, false)
    assert.deepEqual(
      report.findings.map((f: { id: string; severity: string }) => [f.id, f.severity]),
      [['config.invalid', 'error']],
    )
    assert.match(
      report.findings[0].found,
      /config\.json: field "profiles\.claude-code\.refresh_margin_seconds"/,
    )
    assert.match(report.findings[0].fix, /^\$\{EDITOR:-vi\} \/\S+\/config\.json$/)
    const text = await runCli(['doctor'], bed.env)
    assert.equal(text.code, 8, text.stderr)
    assert.match(text.stdout, /^X error config\.invalid: \/\S+config\.json: field/m)
  } finally {
    await cleanup()
  }
})
