import type * as z from 'zod/mini'
import { ConfigError } from './errors.js'

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
    const field = issue?.path.length ? issue.path.join('.') : '(top level)'
    throw new ConfigError(file, `field "${field}": ${issue?.message ?? 'invalid'}`, next)
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
