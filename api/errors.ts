import type { ErrorRequestHandler, Request, RequestHandler } from 'express'
import { log } from './logging.js'

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

/** An error the client caused or can act on; its message is shown to the user. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `Nothing at ${req.method} ${req.originalUrl.split('?')[0]}`))
}

// Errors thrown by body parsers and other middleware carry a `status` and `type`.
interface MiddlewareError {
  status?: number
  statusCode?: number
  type?: string
  expose?: boolean
}

/**
 * File system errors a person can act on: the disk is full, or the data folder cannot be written
 * (a read-only mount, wrong ownership). Writes are atomic, so the request changed nothing.
 */
const storageErrors: Record<string, HttpError> = {
  ENOSPC: new HttpError(507, 'insufficient_storage', 'The server’s disk is full: nothing was saved. Free some space and try again'),
  EDQUOT: new HttpError(507, 'insufficient_storage', 'The server’s disk quota is used up: nothing was saved. Free some space and try again'),
  EROFS: new HttpError(503, 'storage_read_only', 'The server cannot write to its data folder (it is read-only): nothing was saved'),
  EACCES: new HttpError(503, 'storage_read_only', 'The server is not allowed to write to its data folder: nothing was saved'),
  EPERM: new HttpError(503, 'storage_read_only', 'The server is not allowed to write to its data folder: nothing was saved'),
}

function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err
  if (typeof err !== 'object' || err === null) return undefined
  const storage = storageErrors[(err as NodeJS.ErrnoException).code ?? '']
  if (storage) return storage
  const { status, statusCode, type, expose } = err as MiddlewareError
  const code = status ?? statusCode
  if (!code || code >= 500) return undefined
  if (type === 'entity.too.large') return new HttpError(413, 'payload_too_large', 'The request body is too large')
  if (type === 'entity.parse.failed') return new HttpError(400, 'invalid_json', 'The request body is not valid JSON')
  // Static files: a missing file, or a path that tries to leave its folder, is simply not there.
  if (code === 404 || code === 403) return new HttpError(404, 'not_found', 'No such file')
  return new HttpError(code, 'bad_request', expose ? (err as Error).message : 'The request could not be handled')
}

function logError(req: Request, err: unknown): void {
  log('error', err instanceof HttpError ? 'request failed' : 'unhandled error', {
    method: req.method,
    path: req.path,
    error: err instanceof Error ? err.stack : String(err),
  })
}

export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) {
    next(err)
    return
  }
  const known = toHttpError(err)
  if (known && known.status >= 500) logError(req, err)
  if (known) {
    const body: ErrorBody = { error: { code: known.code, message: known.message } }
    if (known.details !== undefined) body.error.details = known.details
    res.status(known.status).json(body)
    return
  }
  logError(req, err)
  const body: ErrorBody = { error: { code: 'internal', message: 'Something went wrong on the server' } }
  res.status(500).json(body)
}
