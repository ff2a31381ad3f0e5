// Rate-limit windows in the database, counted once for every host: each take is one atomic upsert.
import type { RateLimitStore } from '../../security/rate-limit.js'
import type { Database } from './pool.js'

export class PostgresRateLimitStore implements RateLimitStore {
  constructor(
    private readonly db: Database,
    /** What is counted ('failed-sign-ins', 'uploads'): each scope has its own windows. */
    private readonly scope: string,
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  async take(client: string, now = Date.now()): Promise<number> {
    if (this.limit === 0) return 0
    // A new window, or one more in the current window while it is under the limit; else no row comes back.
    const { rowCount } = await this.db.query(
      `INSERT INTO rate_limit_windows AS windows (scope, client, count, reset_at) VALUES ($1, $2, 1, $3::bigint + $4::bigint)
       ON CONFLICT (scope, client) DO UPDATE SET
         count = CASE WHEN windows.reset_at <= $3 THEN 1 ELSE windows.count + 1 END,
         reset_at = CASE WHEN windows.reset_at <= $3 THEN EXCLUDED.reset_at ELSE windows.reset_at END
       WHERE windows.reset_at <= $3 OR windows.count < $5
       RETURNING count`,
      [this.scope, client, now, this.windowMs, this.limit],
    )
    if (rowCount === 1) return 0
    const { rows } = await this.db.query<{ reset_at: string }>('SELECT reset_at FROM rate_limit_windows WHERE scope = $1 AND client = $2', [this.scope, client])
    return Math.max(1, Math.ceil((Number(rows[0]?.reset_at ?? now) - now) / 1000))
  }

  async giveBack(client: string, now = Date.now()): Promise<void> {
    if (this.limit === 0) return
    await this.db.query('UPDATE rate_limit_windows SET count = count - 1 WHERE scope = $1 AND client = $2 AND reset_at > $3 AND count > 0', [this.scope, client, now])
  }
}
