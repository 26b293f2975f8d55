// biome-ignore-all lint/suspicious/noTemplateCurlyInString: this is shell text, whose ${VAR} is meant literally
import { shQuote } from '../handoff/remoteWriter.js'

/** First contact: the remote's kernel and machine (`Linux x86_64`), before anything is copied. */
export const PROBE_COMMAND = 'uname -sm'

/** How the installer script below says what went wrong; any other code is ssh's or the shell's. */
export const InstallerExit = {
  notWritable: 10,
  writeFailed: 11,
  noChecksumTool: 12,
  checksumMismatch: 13,
  doesNotRun: 14,
} as const

/**
 * What runs on the remote, with the executable on stdin. It writes to a temp name in the target
 * directory, checks the sha256 there (sha256sum, else shasum, else openssl), runs the copy once
 * (`--version`: it starts on this machine), and only then renames it into place; on any failure, or
 * when ssh drops, the temp file is removed, so nothing is left half-installed. POSIX sh only: the
 * remote needs no Node and no authkeep. Prints the installed path and whether its folder is on PATH.
 */
export const INSTALLER_SCRIPT = [
  'set -eu',
  'd=$1; n=$2; want=$3',
  'case $d in "~") d=$HOME ;; "~/"*) d=$HOME/${d#"~/"} ;; esac',
  'fail() { c=$1; shift; echo "$*" >&2; exit "$c"; }',
  `mkdir -p "$d" 2>/dev/null || fail ${InstallerExit.notWritable} "cannot create $d"`,
  `{ [ -d "$d" ] && [ -w "$d" ]; } || fail ${InstallerExit.notWritable} "$d is not writable"`,
  `t=$(mktemp "$d/.$n.XXXXXX" 2>/dev/null) || fail ${InstallerExit.notWritable} "$d is not writable"`,
  'trap \'rm -f "$t"\' EXIT',
  "trap 'exit 130' HUP INT TERM PIPE",
  `cat > "$t" || fail ${InstallerExit.writeFailed} "could not write $t"`,
  'if command -v sha256sum >/dev/null 2>&1; then got=$(sha256sum < "$t")',
  'elif command -v shasum >/dev/null 2>&1; then got=$(shasum -a 256 < "$t")',
  'elif command -v openssl >/dev/null 2>&1; then got=$(openssl dgst -sha256 -r < "$t")',
  `else fail ${InstallerExit.noChecksumTool} "no sha256sum, shasum or openssl"; fi`,
  'got=${got%% *}',
  `[ "$got" = "$want" ] || fail ${InstallerExit.checksumMismatch} "$got"`,
  'chmod 755 "$t"',
  `v=$("$t" --version 2>&1) || fail ${InstallerExit.doesNotRun} "$(printf '%s\\n' "$v" | head -n 1)"`,
  'mv -f "$t" "$d/$n"',
  'trap - EXIT',
  'printf \'%s\\n\' "$d/$n"',
  'case ":$PATH:" in *":$d:"*) echo on-path ;; *) echo off-path ;; esac',
].join('\n')

/** The one remote command line: the folder, the file name and the checksum; the binary is on stdin. */
export function installerCommand(dir: string, name: string, sha256: string): string {
  return `sh -c ${shQuote(INSTALLER_SCRIPT)} authkeep-install ${shQuote(dir)} ${shQuote(name)} ${sha256}`
}
