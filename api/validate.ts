import type { Request, RequestHandler, RequestParamHandler, Response } from 'express'
import type { ParamsDictionary } from 'express-serve-static-core'
import type { z } from 'zod'
import { PersonNameParamSchema } from '../shared/people/names.js'
import { HttpError } from './errors.js'

export function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'The request is not valid'
  if (issue.code === 'unrecognized_keys') return `Unexpected field: ${issue.keys.join(', ')}`
  return issue.message
}

/** Why a body was refused: a bad field gives the code `invalid_<field>`; a bad body as a whole, `invalid_body`. */
function refusedBody(error: z.ZodError): HttpError {
  const field = error.issues[0]?.path[0]
  const code = typeof field === 'string' ? `invalid_${field}` : 'invalid_body'
  return new HttpError(400, code, firstProblem(error))
}

/**
 * A route whose JSON body `schema` parses before `handler` runs, which gets the parsed value with its
 * type: every request body is validated here, and no handler casts `req.body`. `refused` turns a
 * refusal into the answer (by default a 400 naming the first bad field).
 */
export function withBody<S extends z.ZodType, P = ParamsDictionary>(
  schema: S,
  handler: (body: z.output<S>, req: Request<P>, res: Response) => Promise<void> | void,
  refused: (error: z.ZodError) => HttpError = refusedBody,
): RequestHandler<P> {
  return async (req, res) => {
    const parsed = schema.safeParse(req.body ?? {})
    if (!parsed.success) throw refused(parsed.error)
    await handler(parsed.data, req, res)
  }
}

/** Parses one value (a route parameter) against a schema, or fails with a 400 and the schema's message. */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, code: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new HttpError(400, code, firstProblem(parsed.error))
  return parsed.data
}

/**
 * `router.param('name', personName)` on every router with a person's `:name`: the name is parsed once,
 * held to the rules that keep it a plain folder name (see PersonNameParamSchema), and handlers read
 * the parsed value from `req.params.name`.
 */
export const personName: RequestParamHandler = (req, _res, next, value: unknown) => {
  req.params.name = parseOr400(PersonNameParamSchema, value, 'invalid_name')
  next()
}
