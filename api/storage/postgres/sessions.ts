// Sessions' shared state in the database: one secret for every host, and signed-out sessions that
// every host refuses from the moment the sign-out commits.
import { randomBytes } from 'node:crypto'
import type { Session, SessionStore } from '../../auth/session.js'
import type { Database } from './pool.js'

export class PostgresSessionStore implements SessionStore {
  constructor(private readonly db: Database) {}

  async secret(): Promise<Buffer> {
    // Of hosts starting together, the first insert wins and every host reads that one.
    await this.db.query('INSERT INTO auth_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [randomBytes(32)])
    const { rows } = await this.db.query<{ secret: Buffer }>('SELECT secret FROM auth_secret WHERE id = 1')
    return rows[0]!.secret
  }

  async signOut(session: Session, now: number): Promise<void> {
    await this.db.query('INSERT INTO signed_out_sessions (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [session.id, session.expiresAt])
    await this.db.query('DELETE FROM signed_out_sessions WHERE expires_at <= $1', [now])
  }

  async isSignedOut(session: Session): Promise<boolean> {
    const { rowCount } = await this.db.query('SELECT 1 FROM signed_out_sessions WHERE id = $1', [session.id])
    return rowCount === 1
  }
}
