import type { Profile } from '../../profiles/profile.js'

/** Quotes a path or word for a POSIX shell, leaving plain ones readable. */
export function sh(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

/** A curl call that repeats a request with every detail shown: what to run when the network is at fault. */
export function curlProbe(url: string, direct: boolean): string {
  return `curl -sSv -o /dev/null --max-time 10${direct ? ` --noproxy '*'` : ''} -I ${sh(url)}`
}

/**
 * A one-line edit of a JSON file with node (there wherever authkeep runs, unlike jq). `change` is
 * JavaScript on `j`, the parsed file (`{}` when it does not exist), written without single quotes.
 */
export function editJsonCommand(file: string, change: string): string {
  const js = `const fs=require("fs"),f=process.argv[1],j=fs.existsSync(f)?JSON.parse(fs.readFileSync(f,"utf8")):{};${change};fs.writeFileSync(f,JSON.stringify(j,null,2)+"\\n",{mode:0o600})`
  return `node -e '${js}' ${sh(file)}`
}

/** The sticky bit: a directory meant to be shared (/tmp), where no chown or chmod is a fix. */
export function isShared(mode: number): boolean {
  return (mode & 0o1000) !== 0
}

/** The fix for credentials kept in a shared directory: a directory of one's own, taking nothing from others. */
export function ownDirectoryFix(kind: Profile['kind']): string {
  return kind === 'claude-code'
    ? 'export CLAUDE_CONFIG_DIR="$HOME/.claude"'
    : 'export AUTHKEEP_HOME="$HOME/.authkeep"'
}
