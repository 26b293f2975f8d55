export type ClaudeAction =
  | { action: 'use-helper'; profile?: string; off: boolean }
  | { action: 'helper'; profile?: string }
