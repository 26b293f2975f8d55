import type * as z from 'zod/mini'
import { ConfigError } from './errors.js'
import { printable } from './printable.js'
import { mask } from './secret.js'

export function parseJson(file: string, text: string, next?: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ConfigError(file, jsonProblem(err), next)
  }
}

/** V8's message quotes the text around the fault, which may be part of a token: keep the position only. */
export function jsonProblem(err: unknown): string {
  const at = /position (\d+)/.exec((err as Error).message)?.[1]
  return `not valid JSON${at ? ` (at character ${at})` : ''}`
}

const TOKEN_RUN = /[A-Za-z0-9._~+/=-]{24,}/g

/**
 * Input quoted in a message: one line, bounded, and any token-like run masked, because what was pasted
 * or written in the wrong place is often a secret.
 */
export function quoteInput(text: string, max = 80): string {
  return printable(
    text.replace(TOKEN_RUN, (run) => mask(run)),
    max,
  )
}

/** A zod issue path as shown in an error; keys come from the input, so they are quoted like it. */
export function fieldPath(path: readonly PropertyKey[] | undefined): string {
  return path?.length ? path.map((k) => quoteInput(String(k), 64)).join('.') : '(top level)'
}

/** Validates a value read from `file`, naming the file and the first failing field in one line. */
export function validate<T extends z.ZodMiniType>(
  file: string,
  value: unknown,
  schema: T,
  next?: string,
): z.output<T> {
  const result = schema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new ConfigError(file, `field "${fieldPath(issue?.path)}": ${issue?.message ?? 'invalid'}`, next)
  }
  return result.data
}

export function parseJsonFile<T extends z.ZodMiniType>(
  file: string,
  text: string,
  schema: T,
  next?: string,
): z.output<T> {
  return validate(file, parseJson(file, text, next), schema, next)
}
