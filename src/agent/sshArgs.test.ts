import assert from 'node:assert/strict'
import { test } from 'node:test'
import { destinationIndex, planSsh, remoteSocketPath, shellQuote, sshConfigSnippet } from './sshArgs.js'

test('the destination is found past options and their values', () => {
  assert.equal(destinationIndex(['host']), 0)
  assert.equal(destinationIndex(['-p', '2222', '-i', 'k', 'u@h', 'ls']), 4)
  assert.equal(destinationIndex(['-p2222', '-tt', 'u@h']), 2)
  assert.equal(destinationIndex(['-vp', '22', 'u@h']), 2)
  assert.equal(destinationIndex(['-o', 'A=b', '--', 'u@h']), 3)
  assert.equal(destinationIndex(['-p', '22']), -1)
})

test('an interactive session forwards the socket, sets the variable and asks for a terminal', () => {
  const { args } = planSsh(['-p', '22', 'u@h'], '/run/a.sock', true, '/tmp/authkeep-agent-x.sock')
  assert.deepEqual(args, [
    '-p',
    '22',
    '-R',
    '/tmp/authkeep-agent-x.sock:/run/a.sock',
    '-o',
    'StreamLocalBindUnlink=yes',
    '-o',
    'ExitOnForwardFailure=yes',
    '-t',
    'u@h',
    `exec sh -c 'trap "rm -f $0" EXIT; trap "exit 129" HUP; trap "exit 143" TERM; trap : INT QUIT; AUTHKEEP_AGENT_SOCK=$0 "$SHELL" -l' /tmp/authkeep-agent-x.sock`,
  ])
  assert.ok(!planSsh(['-T', 'u@h'], '/a', true).args.includes('-t'), "the user's -T wins")
})

test('a remote command keeps its shell meaning inside $SHELL -c', () => {
  const { args } = planSsh(['u@h', 'echo', "it's", '&&', 'authkeep token'], '/a', true, '/tmp/s.sock')
  assert.equal(
    args.at(-1),
    `exec sh -c 'trap "rm -f $0" EXIT; trap "exit 129" HUP; trap "exit 143" TERM; trap : INT QUIT; AUTHKEEP_AGENT_SOCK=$0 "$SHELL" -c "$1"' /tmp/s.sock 'echo it'\\''s && authkeep token'`,
  )
  assert.ok(!args.includes('-t'))
  assert.equal(shellQuote("a'b"), `'a'\\''b'`)
})

test('each session gets its own unguessable remote path', () => {
  const a = remoteSocketPath()
  assert.match(a, /^\/tmp\/authkeep-agent-[0-9a-f]{24}\.sock$/)
  assert.notEqual(a, remoteSocketPath())
})

test('the ssh config snippet forwards and names the variable for the remote user', () => {
  const text = sshConfigSnippet('box', 'ann', '/run/user/1000/authkeep/agent.sock')
  assert.match(text, /^Host box$/m)
  assert.match(
    text,
    /^ {2}RemoteForward \/tmp\/authkeep-agent-ann\.sock \/run\/user\/1000\/authkeep\/agent\.sock$/m,
  )
  assert.match(text, /^ {2}SetEnv AUTHKEEP_AGENT_SOCK=\/tmp\/authkeep-agent-ann\.sock$/m)
  assert.match(text, /AcceptEnv AUTHKEEP_AGENT_SOCK/)
})
