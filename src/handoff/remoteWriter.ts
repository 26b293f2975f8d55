// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this is shell text, whose ${VAR} is meant literally
/**
 * What runs on the remote over ssh. The command line carries only the profile name and its kind;
 * everything secret travels on stdin: line 1 is the config to create when the remote has none
 * (or `-`), the rest is the credential file, byte for byte.
 *
 * With authkeep on the remote's PATH (or where `authkeep install` puts it, ~/.local/bin, which ssh
 * commands often lack on their PATH) the payload goes to `authkeep login --receive`, which writes
 * through its own store (lock, backup, Claude's sibling keys kept). Otherwise a POSIX sh writer keeps
 * the same promises with sh and awk only: umask 077, a backup of the file it replaces in authkeep's
 * backup format (so a later `authkeep restore` reads it), Claude's other top-level keys kept, and
 * mktemp beside the target then mv -f, so a reader never sees half a file. `read` takes one byte at
 * a time from a pipe, so `cat` gets exactly the rest of stdin.
 */

/** Its input as one JSON string, for the backup's `content`; `nl` set: the input ended with a newline. */
const JSON_STRING_AWK = [
  'BEGIN { for (i = 1; i < 32; i++) ctl = ctl sprintf("%c", i) }',
  '{ s = s (NR > 1 ? "\\n" : "") $0 }',
  'END {',
  '  if (nl) s = s "\\n"',
  '  o = ""',
  '  for (i = 1; i <= length(s); i++) {',
  '    c = substr(s, i, 1)',
  '    if (c == "\\\\") o = o "\\\\\\\\"',
  '    else if (c == "\\"") o = o "\\\\\\""',
  '    else if (c == "\\n") o = o "\\\\n"',
  '    else if (index(ctl, c)) o = o sprintf("\\\\u%04x", index(ctl, c))',
  '    else o = o c',
  '  }',
  '  printf "\\"%s\\"", o',
  '}',
].join('\n')

/**
 * Claude's file `old` with its `claudeAiOauth` replaced by the one in `new` (added when missing), every
 * other top-level key as it was. A scanner of JSON strings and nesting, not a full parser: anything
 * that is not one object exits 1, and the writer then stores the new file alone (after the backup).
 */
const MERGE_AWK = [
  'BEGIN {',
  '  while ((getline l < old) > 0) s = s l "\\n"',
  '  while ((getline l < new) > 0) n = n l',
  '  v = n',
  '  if (!sub(/^[ \\t]*\\{[ \\t]*"claudeAiOauth"[ \\t]*:/, "", v) || !sub(/\\}[ \\t]*$/, "", v)) exit 1',
  '  d = 0; q = 0; e = 0; st = "key"; keys = 0; vs = 0; ve = 0; close_at = 0; first = 0',
  '  for (i = 1; i <= length(s); i++) {',
  '    c = substr(s, i, 1)',
  '    if (q) {',
  '      if (e) e = 0',
  '      else if (c == "\\\\") e = 1',
  '      else if (c == "\\"") { q = 0; if (d == 1 && st == "inkey") { k = substr(s, ks, i - ks + 1); st = "colon" } }',
  '      continue',
  '    }',
  '    if (c ~ /[ \\t\\r\\n]/) continue',
  '    if (!first) { first = 1; if (c != "{") exit 1; d = 1; continue }',
  '    if (d == 0) exit 1',
  '    if (c == "\\"") { q = 1; if (d == 1 && st == "key") { st = "inkey"; ks = i; keys++ }; continue }',
  '    if (d == 1 && c == ":" && st == "colon") { st = "value"; vstart = i + 1; continue }',
  '    if (d == 1 && (c == "," || c == "}")) {',
  '      if (st == "value" && k == "\\"claudeAiOauth\\"") { vs = vstart; ve = i }',
  '      st = "key"',
  '      if (c == "}") { d = 0; close_at = i }',
  '      continue',
  '    }',
  '    if (c == "{" || c == "[") d++',
  '    else if (c == "}" || c == "]") d--',
  '  }',
  '  if (!close_at || q) exit 1',
  '  if (vs) out = substr(s, 1, vs - 1) v substr(s, ve)',
  '  else out = substr(s, 1, close_at - 1) (keys ? "," : "") "\\"claudeAiOauth\\":" v substr(s, close_at)',
  '  sub(/\\n$/, "", out)',
  '  printf "%s", out',
  '  exit 0',
  '}',
].join('\n')

export const REMOTE_SCRIPT = [
  'set -eu',
  'p=$1; kind=$2',
  'for a in authkeep "$HOME/.local/bin/authkeep"; do command -v "$a" >/dev/null 2>&1 && exec "$a" login --receive --profile "$p"; done',
  'umask 077',
  'IFS= read -r cfg',
  's=${XDG_STATE_HOME:-$HOME/.local/state}/authkeep',
  'c=${XDG_CONFIG_HOME:-$HOME/.config}/authkeep/config.json',
  'if [ -n "${AUTHKEEP_HOME:-}" ]; then s=$AUTHKEEP_HOME/state; c=$AUTHKEEP_HOME/config.json; fi',
  'if [ "$kind" = copilot ]; then',
  '  echo "authkeep handoff: Copilot keeps other logins and settings beside this one in its config.json, which sh cannot merge; install authkeep on this host and run login --for again" >&2',
  '  exit 3',
  'fi',
  'if [ "$kind" = claude ]; then',
  '  f=${CLAUDE_CONFIG_DIR:-$HOME/.claude}/.credentials.json',
  'elif [ "$kind" = codex ]; then',
  '  f=${CODEX_HOME:-$HOME/.codex}/auth.json',
  'elif [ "$kind" = gemini ]; then',
  '  f=${GEMINI_CLI_HOME:-$HOME}/.gemini/oauth_creds.json',
  'else',
  '  f=$s/credentials/$p.json',
  'fi',
  'mkdir -p "$(dirname "$f")"',
  't=$(mktemp "$f.tmp.XXXXXX"); m=',
  'trap \'rm -f "$t" ${m:+"$m"}\' EXIT',
  'cat > "$t"',
  '[ -s "$t" ] || { echo "authkeep handoff: nothing received" >&2; exit 3; }',
  'if [ -f "$f" ]; then',
  '  b=$s/backups/$p/$(date -u +%Y-%m-%dT%H-%M-%S-000Z)-login.json',
  '  [ ! -e "$b" ] || b=${b%-login.json}-$$-login.json',
  '  mkdir -p "$(dirname "$b")"',
  '  m=$(mktemp "$b.tmp.XXXXXX")',
  '  {',
  '    printf \'{"kind":"authkeep-backup","version":2,"profile":"%s","reason":"login","created_at":"%s","file":\' "$p" "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"',
  `    printf %s "$f" | awk '${JSON_STRING_AWK}'`,
  '    printf \',"content":\'',
  '    e=; [ -n "$(tail -c1 "$f")" ] || [ ! -s "$f" ] || e=1',
  `    awk -v nl="$e" '${JSON_STRING_AWK}' "$f"`,
  "    printf '}\\n'",
  '  } > "$m"',
  '  mv -f "$m" "$b"',
  '  echo "authkeep handoff: the file it replaces is backed up in $b" >&2',
  '  if [ "$kind" = claude ]; then',
  '    m=$(mktemp "$f.tmp.XXXXXX")',
  `    if awk -v old="$f" -v new="$t" '${MERGE_AWK}' > "$m"; then`,
  '      mv -f "$m" "$t"',
  '      echo "authkeep handoff: kept the other keys of $f" >&2',
  '    else',
  '      echo "authkeep handoff: $f is not a JSON object; only the login is written (the backup has the rest)" >&2',
  '    fi',
  '  fi',
  'fi',
  'chmod 600 "$t"',
  'mv -f "$t" "$f"',
  'trap - EXIT',
  'rm -f ${m:+"$m"}',
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

/** Which file the sh writer writes: Claude's, Codex's, Gemini's, authkeep's record; Copilot's it leaves to authkeep. */
export type RemoteKind = 'claude' | 'codex' | 'gemini' | 'copilot' | 'record'

/** The one remote command line: no secret, only the profile name and its kind. */
export function remoteCommand(profile: string, kind: RemoteKind): string {
  return `sh -c ${shQuote(REMOTE_SCRIPT)} authkeep-handoff ${shQuote(profile)} ${kind}`
}
