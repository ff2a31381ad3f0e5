// What keeps the app's state, chosen by DATABASE_URL: the files in DATA_DIR (unset, the default) or
// PostgreSQL. Beside the storage port, sessions' shared state and the rate limits' counts.
import path from 'node:path'
import { authDirName, FileSessionStore, type SessionStore } from '../auth/session.js'
import type { AppConfig } from '../config.js'
import { FileRateLimitStore, MemoryRateLimitStore, type RateLimitStore } from '../security/rate-limit.js'
import { filesStorage } from './files.js'
import type { Storage } from './port.js'
import { openDatabase } from './postgres/pool.js'
import { PostgresRateLimitStore } from './postgres/rate-limits.js'
import { PostgresSessionStore } from './postgres/sessions.js'
import { PostgresStorage } from './postgres/storage.js'

/** What a rate limit counts. */
export type RateLimitScope = 'failed-sign-ins' | 'uploads'

export interface Backend {
  readonly storage: Storage
  readonly sessions: SessionStore
  rateLimits(scope: RateLimitScope, limit: number, windowMs: number): RateLimitStore
  /** Fails when the store cannot be reached (readiness): the files are checked by the health probe itself. */
  reach(): Promise<void>
  /** Lets go of what it holds open (the database's connections): for tests and scripts. */
  close(): Promise<void>
}

export function filesBackend(dataDir: string): Backend {
  return {
    storage: filesStorage(dataDir),
    sessions: new FileSessionStore(dataDir),
    // Guesses are counted for the whole host, so that each PM2 worker does not grant its own. An
    // upload is limited where it costs: in the worker that decodes it.
    rateLimits: (scope, limit, windowMs) =>
      scope === 'failed-sign-ins' ? new FileRateLimitStore(path.join(dataDir, authDirName, 'failed-sign-ins.json'), limit, windowMs) : new MemoryRateLimitStore(limit, windowMs),
    reach: async () => {},
    close: async () => {},
  }
}

/** Every host on the database shares all of it: a session, a sign-out and a count are the same everywhere. */
export function postgresBackend(url: string, dataDir: string): Backend {
  const db = openDatabase(url)
  const storage = new PostgresStorage(db, dataDir)
  return {
    storage,
    sessions: new PostgresSessionStore(db),
    rateLimits: (scope, limit, windowMs) => new PostgresRateLimitStore(db, scope, limit, windowMs),
    reach: async () => {
      await db.query('SELECT 1')
    },
    close: () => storage.close(),
  }
}

export function openBackend(config: Pick<AppConfig, 'dataDir' | 'databaseUrl'>): Backend {
  return config.databaseUrl ? postgresBackend(config.databaseUrl, config.dataDir) : filesBackend(config.dataDir)
}
