import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Request, RequestHandler, Response } from 'express'
import lockfile from 'proper-lockfile'
import { z } from 'zod'
import { HttpError } from '../errors.js'
import { log } from '../logging.js'
import { readIfPresent } from '../storage/read-if-present.js'

/**
 * Counts events per client in fixed windows of `windowMs`, at most `limit` per window; a limit of
 * 0 counts nothing. `take` counts an event before the work it limits is done, so requests that
 * arrive together cannot all pass a check that none of them has counted yet.
 */
export interface RateLimitStore {
  readonly limit: number
  readonly windowMs: number
  /** Counts one event of `client`, unless it has reached the limit: 0 when counted, else the seconds until it may try again. */
  take(client: string, now?: number): Promise<number>
  /** Takes back one event that `take` counted in the client's current window. */
  giveBack(client: string, now?: number): Promise<void>
}

interface Window {
  count: number
  resetAt: number
}

/** Clients followed at most: past it, the windows that end first are forgotten first. */
const maxClients = 10_000

/** Windows in the order they started, so the first ends first (all have the same length). */
type Windows = Map<string, Window>

function forgetExpired(windows: Windows, now: number): void {
  for (const [client, window] of windows) if (window.resetAt <= now) windows.delete(client)
}

function takeFrom(windows: Windows, store: RateLimitStore, client: string, now: number): number {
  const window = windows.get(client)
  if (window && window.resetAt > now) {
    if (window.count >= store.limit) return Math.ceil((window.resetAt - now) / 1000)
    window.count++
    return 0
  }
  windows.delete(client)
  if (windows.size >= maxClients) forgetExpired(windows, now)
  for (const [oldest] of windows) {
    if (windows.size < maxClients) break
    windows.delete(oldest)
  }
  windows.set(client, { count: 1, resetAt: now + store.windowMs })
  return 0
}

function giveBackTo(windows: Windows, client: string, now: number): void {
  const window = windows.get(client)
  if (!window || window.resetAt <= now) return
  window.count--
  if (window.count === 0) windows.delete(client)
}

/** Counts kept in this process only: each process has its own. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows: Windows = new Map()

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  async take(client: string, now = Date.now()): Promise<number> {
    return this.limit === 0 ? 0 : takeFrom(this.windows, this, client, now)
  }

  async giveBack(client: string, now = Date.now()): Promise<void> {
    giveBackTo(this.windows, client, now)
  }
}

const WindowsFileSchema = z.array(z.strictObject({ client: z.string(), count: z.number().int().positive(), resetAt: z.number().int() }))

/**
 * Counts in one JSON file that every process on the host shares (PM2's workers): each change reads,
 * changes and replaces the file under a lock they all respect. Expired windows are dropped at each
 * write, so the file holds at most the clients of one window, and never more than `maxClients`.
 */
export class FileRateLimitStore implements RateLimitStore {
  constructor(
    readonly file: string,
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  async take(client: string, now = Date.now()): Promise<number> {
    if (this.limit === 0) return 0
    return this.change((windows) => takeFrom(windows, this, client, now), now)
  }

  async giveBack(client: string, now = Date.now()): Promise<void> {
    if (this.limit === 0) return
    await this.change((windows) => giveBackTo(windows, client, now), now)
  }

  private async change<T>(apply: (windows: Windows) => T, now: number): Promise<T> {
    // Made again whenever it is missing: deleting DATA_DIR/.auth signs everyone out, and must not stop sign-in.
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 })
    const release = await lockfile.lock(this.file, { realpath: false, retries: lockRetries }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ELOCKED') throw err
      throw new HttpError(503, 'busy', 'The server is too busy to count this request; try again in a moment')
    })
    try {
      const text = await this.read()
      const windows = text === undefined ? new Map() : windowsOf(this.file, text)
      const result = apply(windows)
      forgetExpired(windows, now)
      const next = JSON.stringify([...windows].map(([client, window]) => ({ client, ...window })))
      if (next !== text) await this.write(next)
      return result
    } finally {
      await release()
    }
  }

  private read(): Promise<string | undefined> {
    return readIfPresent(this.file, 'utf8')
  }

  /** Replaced whole by a rename: a process that dies mid-write leaves the old counts. Only the lock's holder writes the temp file. */
  private async write(text: string): Promise<void> {
    const temp = `${this.file}.tmp`
    try {
      await writeFile(temp, text, { mode: 0o600 })
      await rename(temp, this.file)
    } catch (err) {
      await rm(temp, { force: true }).catch(() => {})
      throw err
    }
  }
}

// Waits up to about 20 s: longer than a lock left by a killed process takes to go stale (10 s).
const lockRetries = { retries: 200, minTimeout: 5, maxTimeout: 100, randomize: true }

/** Counts that cannot be read (a file damaged by hand) start again rather than lock everyone out. */
function windowsOf(file: string, text: string): Windows {
  try {
    const parsed = WindowsFileSchema.safeParse(JSON.parse(text))
    if (parsed.success) return new Map(parsed.data.map(({ client, ...window }) => [client, window]))
  } catch {
    // Not JSON: logged below, like a file that does not fit the schema.
  }
  log('warn', 'rate limit counts could not be read; counting again from zero', { file })
  return new Map()
}

/** The client's address: the socket's, or with `trust proxy` the one the trusted proxy saw. */
export function clientOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown'
}

/** Counts the request's client in `store`; over the limit, a 429 with Retry-After. */
export async function countOrRefuse(store: RateLimitStore, req: Request, res: Response, what: string): Promise<void> {
  const seconds = await store.take(clientOf(req))
  if (seconds === 0) return
  res.set('Retry-After', String(seconds))
  const wait = seconds > 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`
  throw new HttpError(429, 'too_many_requests', `Too many ${what}; try again in ${wait}`)
}

/** Counts every request it sees, and refuses those over the limit. */
export function rateLimit(store: RateLimitStore, what: string): RequestHandler {
  return async (req, res, next) => {
    await countOrRefuse(store, req, res, what)
    next()
  }
}
