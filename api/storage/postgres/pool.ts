// The connection pool to the database named by DATABASE_URL, ready once the schema is up to date:
// migrations/NNN_*.sql are applied in order at start-up, each in its own transaction, under an
// advisory lock, so processes starting together apply each one once.
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { appRoot } from '../../paths.js'

/** Source and compiled code alike read the .sql files from the source tree (the image copies them). */
export const migrationsDir = path.join(appRoot, 'api/storage/postgres/migrations')

const migrationFile = /^(\d{3})_[\w-]+\.sql$/

// Any fixed number, the same in every process of this app: the key of the migrations' advisory lock.
const migrationLock = 0x66616365

/** What runs a query: the pool, or one connection inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>
}

/** A pool whose every query waits until the schema is migrated; `end` closes its connections. */
export interface Database extends Queryable {
  readonly url: string
  /** Resolves with the pool once the schema is up to date. */
  pool(): Promise<pg.Pool>
  /** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>, begin?: string): Promise<T>
  end(): Promise<void>
}

async function migrations(): Promise<{ version: number; name: string; sql: string }[]> {
  const names = (await readdir(migrationsDir)).filter((name) => migrationFile.test(name)).sort()
  return Promise.all(names.map(async (name) => ({ version: Number(migrationFile.exec(name)![1]), name, sql: await readFile(path.join(migrationsDir, name), 'utf8') })))
}

/** Applies the migrations this database lacks, in order, each with its row in schema_migrations. */
export async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [migrationLock])
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())')
      const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version))
      for (const migration of await migrations()) {
        if (applied.has(migration.version)) continue
        await client.query('BEGIN')
        try {
          await client.query(migration.sql)
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name])
          await client.query('COMMIT')
        } catch (err) {
          await client.query('ROLLBACK')
          throw new Error(`Migration ${migration.name} failed: ${(err as Error).message}`, { cause: err })
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [migrationLock])
    }
  } finally {
    client.release()
  }
}

export function openDatabase(url: string): Database {
  // Idle connections do not keep a process alive that has nothing else to do (a script, a test worker).
  // A database that does not answer fails a request within 10 s rather than holding it.
  const pool = new pg.Pool({ connectionString: url, max: 10, allowExitOnIdle: true, connectionTimeoutMillis: 10_000 })
  // A connection that breaks while idle (the server restarted) is dropped from the pool, not fatal.
  pool.on('error', () => {})
  let ready: Promise<pg.Pool> | undefined
  const migrated = () => {
    ready ??= migrate(pool).then(
      () => pool,
      (err: unknown) => {
        ready = undefined
        throw err
      },
    )
    return ready
  }
  return {
    url,
    pool: migrated,
    async query(text, values) {
      return (await migrated()).query(text, values)
    },
    async transaction(work, begin = 'BEGIN') {
      const client = await (await migrated()).connect()
      let broken = false
      try {
        await client.query(begin)
        const result = await work(client)
        await client.query('COMMIT')
        return result
      } catch (err) {
        // A connection that cannot even roll back is closed rather than handed to the next caller.
        await client.query('ROLLBACK').catch(() => (broken = true))
        throw err
      } finally {
        client.release(broken)
      }
    },
    end: () => pool.end(),
  }
}
