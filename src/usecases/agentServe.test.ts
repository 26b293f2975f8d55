import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LoginRequiredError } from '../errors.js'
import type { Profile } from '../profiles/profile.js'
import { Secret } from '../secret.js'
import type { Credential } from '../stores/credential.js'
import { memoryStore } from '../stores/memoryStore.js'
import { agentService, asAgentError } from './agentServe.js'
import { testDeps } from './testDeps.js'

const far = new Date(Date.now() + 3_600_000)
const credential = {
  state: 'active',
  tokenType: 'Bearer',
  accessToken: new Secret('at-1234567890abcdef'),
  refreshToken: new Secret('rt-never-leaves-the-laptop'),
  expiresAt: far,
  obtainedAt: new Date(),
} as unknown as Credential

function deps() {
  const store = memoryStore(credential)
  return testDeps({ credentialsOf: () => store })
}
const work = { name: 'work', refreshMarginSeconds: 60 } as Profile
const request = (profile: string, host = 'box') => ({ v: 1, op: 'token' as const, profile, host })
const peer = { pid: 42, uid: 1000, label: 'ssh box (pid 42)' }

test('only the profiles the agent was started for are served, and only the access token leaves', async () => {
  const serve = agentService(deps(), { served: new Map([['work', work]]) })
  const refused = await serve(request('other'), peer)
  assert.deepEqual(refused, {
    v: 1,
    error: 'profile_not_served',
    description: 'this agent does not serve profile "other" (it serves: work)',
  })
  const ok = await serve(request('work'), peer)
  assert.deepEqual(ok, {
    v: 1,
    access_token: 'at-1234567890abcdef',
    token_type: 'Bearer',
    expires_at: far.toISOString(),
    source: 'cached',
  })
  assert.doesNotMatch(JSON.stringify(ok), /rt-never/)
})

test('confirmation: asked once per session, host and profile; a "no" is not remembered', async () => {
  const questions: string[] = []
  const answers = [false, true]
  const serve = agentService(deps(), {
    served: new Map([['work', work]]),
    confirm: async (q) => {
      questions.push(q)
      return answers.shift() ?? false
    },
  })
  assert.equal(((await serve(request('work'), peer)) as { error?: string }).error, 'denied')
  assert.ok(((await serve(request('work'), peer)) as { access_token?: string }).access_token)
  assert.ok(((await serve(request('work'), peer)) as { access_token?: string }).access_token)
  assert.equal(questions.length, 2)
  assert.match(questions[0] ?? '', /profile "work" to host "box" via ssh box \(pid 42\)\? \[y\/N\] $/)
  assert.equal(((await serve(request('work', 'other-host'), peer)) as { error?: string }).error, 'denied')
})

test('errors travel as {error, description}, with what to run on the agent side', () => {
  assert.deepEqual(asAgentError(new LoginRequiredError('work', 'profile "work" needs a new login')), {
    v: 1,
    error: 'login_required',
    description: `profile "work" needs a new login; on the agent's machine run: authkeep login --profile work`,
  })
  assert.equal((asAgentError(new Error('x')) as { error: string }).error, 'internal')
})
