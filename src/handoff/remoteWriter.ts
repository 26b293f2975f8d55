// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this is shell text, whose ${VAR} is meant literally
/**
 * What runs on the remote over ssh. The command line carries only the profile name and its kind;
 * everything secret travels on stdin: line 1 is the config to create when the remote has none
 * (or `-`), the rest is the credential file, byte for byte.
 *
 * With authkeep on the remote's PATH (or where `authkeep install` puts it, ~/.local/bin, which ssh
 * commands often lack on their PATH) the payload goes to `authkeep login --receive`, which writes
 * through its own store (lock, backup, Claude's sibling keys kept). Otherwise a POSIX sh writer:
 * umask 077, mkdir -p, mktemp beside the target, cat, mv -f, so a reader never sees half a file.
 * `read` takes one byte at a time from a pipe, so `cat` gets exactly the rest of stdin.
 */
export const REMOTE_SCRIPT = [
  'set -eu',
  'p=$1; kind=$2',
  'for a in authkeep "$HOME/.local/bin/authkeep"; do command -v "$a" >/dev/null 2>&1 && exec "$a" login --receive --profile "$p"; done',
  'umask 077',
  'IFS= read -r cfg',
  'if [ "$kind" = claude ]; then',
  '  f=${CLAUDE_CONFIG_DIR:-$HOME/.claude}/.credentials.json',
  'else',
  '  f=${XDG_STATE_HOME:-$HOME/.local/state}/authkeep/credentials/$p.json',
  'fi',
  'c=${XDG_CONFIG_HOME:-$HOME/.config}/authkeep/config.json',
  'if [ -n "${AUTHKEEP_HOME:-}" ]; then',
  '  c=$AUTHKEEP_HOME/config.json',
  '  [ "$kind" = claude ] || f=$AUTHKEEP_HOME/state/credentials/$p.json',
  'fi',
  'd=$(dirname "$f")',
  'mkdir -p "$d"',
  't=$(mktemp "$f.tmp.XXXXXX")',
  'trap \'rm -f "$t"\' EXIT',
  'cat > "$t"',
  '[ -s "$t" ] || { echo "authkeep handoff: nothing received" >&2; exit 3; }',
  'chmod 600 "$t"',
  'mv -f "$t" "$f"',
  'trap - EXIT',
  'echo "authkeep handoff: wrote $f (0600) with sh; authkeep is not installed on this host" >&2',
  'if [ "$cfg" != - ] && [ ! -e "$c" ]; then',
  '  mkdir -p "$(dirname "$c")"',
  '  t=$(mktemp "$c.tmp.XXXXXX")',
  '  printf "%s\\n" "$cfg" > "$t"',
  '  mv -f "$t" "$c"',
  '  echo "authkeep handoff: wrote the profile settings to $c" >&2',
  'elif [ "$cfg" != - ]; then',
  '  echo "authkeep handoff: $c exists and was left alone; add the profile there if it is missing" >&2',
  'fi',
].join('\n')

/** POSIX single quotes: safe for any remote login shell that follows sh quoting. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** The one remote command line: no secret, only the profile name and its kind. */
export function remoteCommand(profile: string, kind: 'claude' | 'record'): string {
  return `sh -c ${shQuote(REMOTE_SCRIPT)} authkeep-handoff ${shQuote(profile)} ${kind}`
}
