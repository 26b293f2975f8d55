import type * as z from 'zod/mini'
import { ConfigError } from './errors.js'

/** Parses JSON text and validates it, naming the file and the first failing field in one line. */
export function parseJsonFile<T extends z.ZodMiniType>(
  file: string,
  text: string,
  schema: T,
  next?: string,
): z.output<T> {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(file, `not valid JSON (${(err as Error).message})`, next)
  }
  const result = schema.safeParse(raw)
  if (!result.success) {
    const issue = result.error.issues[0]
    const field = issue?.path.length ? issue.path.join('.') : '(top level)'
    throw new ConfigError(file, `field "${field}": ${issue?.message ?? 'invalid'}`, next)
  }
  return result.data
}
