import type { RequestHandler } from 'express'
import type { z } from 'zod'
import { HttpError } from './errors.js'

export function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'The request is not valid'
  if (issue.code === 'unrecognized_keys') return `Unexpected field: ${issue.keys.join(', ')}`
  return issue.message
}

/**
 * Validates the JSON body against a schema and puts the parsed value back on `req.body`.
 * A bad field gives the code `invalid_<field>`; a bad body as a whole, `invalid_body`.
 */
export function validateBody(schema: z.ZodType): RequestHandler {
  return (req, _res, next) => {
    const parsed = schema.safeParse(req.body ?? {})
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path[0]
      const code = typeof field === 'string' ? `invalid_${field}` : 'invalid_body'
      throw new HttpError(400, code, firstProblem(parsed.error))
    }
    req.body = parsed.data
    next()
  }
}

/** Parses one value (a route parameter) against a schema, or fails with a 400 and the schema's message. */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, code: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new HttpError(400, code, firstProblem(parsed.error))
  return parsed.data
}
