import type { Request, RequestHandler, Response } from 'express'
import { HttpError } from '../errors.js'

interface Window {
  count: number
  resetAt: number
}

/**
 * Counts events per client in fixed windows. The counts live in this process: under PM2 each
 * worker counts on its own, so a client may reach the limit once per worker.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>()

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Seconds until `client` may try again, or 0 when it is under the limit. */
  retryAfter(client: string, now = Date.now()): number {
    const window = this.windows.get(client)
    if (this.limit === 0 || !window || window.resetAt <= now || window.count < this.limit) return 0
    return Math.ceil((window.resetAt - now) / 1000)
  }

  count(client: string, now = Date.now()): void {
    if (this.limit === 0) return
    if (this.windows.size > 10_000) this.forgetExpired(now)
    const window = this.windows.get(client)
    if (!window || window.resetAt <= now) this.windows.set(client, { count: 1, resetAt: now + this.windowMs })
    else window.count++
  }

  private forgetExpired(now: number): void {
    for (const [client, window] of this.windows) if (window.resetAt <= now) this.windows.delete(client)
  }
}

/** The client's address: the socket's, or with `trust proxy` the one the trusted proxy saw. */
export function clientOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown'
}

/** A 429 with Retry-After when the client is over the limit. */
export function refuseIfLimited(limiter: RateLimiter, req: Request, res: Response, what: string): void {
  const seconds = limiter.retryAfter(clientOf(req))
  if (seconds === 0) return
  res.set('Retry-After', String(seconds))
  const wait = seconds > 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`
  throw new HttpError(429, 'too_many_requests', `Too many ${what}; try again in ${wait}`)
}

/** Counts every request it sees, and refuses those over the limit. */
export function rateLimit(limiter: RateLimiter, what: string): RequestHandler {
  return (req, res, next) => {
    refuseIfLimited(limiter, req, res, what)
    limiter.count(clientOf(req))
    next()
  }
}
