import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { link, mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import type { AuthConfig, Credential } from '../config.js'
import type { Role } from '../../shared/auth/roles.js'
import { formatPasswordHash } from './password.js'

export const sessionCookie = 'facer_session'

export const RoleSchema = z.enum(['admin', 'viewer'])

const SessionSchema = z.strictObject({
  id: z.string().regex(/^[\w-]{22}$/),
  role: RoleSchema,
  /** Milliseconds since the epoch. */
  expiresAt: z.number().int().positive(),
})

export type Session = z.infer<typeof SessionSchema>

/** Where sessions' secrets live in the data folder: hidden, readable by the server's user only. */
export const authDirName = '.auth'

function credentialText(credential: Credential): string {
  return 'password' in credential ? `password:${credential.password}` : `hash:${formatPasswordHash(credential.hash)}`
}

/**
 * Where sessions' shared state lives: the secret their keys are made from, made once by whichever
 * process needs it first, and the sessions signed out before their expiry.
 */
export interface SessionStore {
  secret(): Promise<Buffer>
  /** Lists a session as signed out until `expiresAt`; forgets those listed that have expired by `now`. */
  signOut(session: Session, now: number): Promise<void>
  isSignedOut(session: Session): Promise<boolean>
}

/**
 * Sessions as signed cookies, so that every worker process accepts every other's: the role and the
 * expiry signed with HMAC-SHA256. The key is made from a random secret kept in the store and the
 * role's password, so changing a password signs out everyone who used the old one. Logging out
 * lists the session's id in the store until it would have expired anyway.
 */
export class SessionKeeper {
  private secret: Promise<Buffer> | undefined
  private readonly store: SessionStore

  /** `store` may be a data folder's path: the files backend's store in it. */
  constructor(
    store: SessionStore | string,
    private readonly auth: AuthConfig,
  ) {
    this.store = typeof store === 'string' ? new FileSessionStore(store) : store
  }

  async issue(role: Role, now = Date.now()): Promise<{ token: string; session: Session }> {
    const session: Session = { id: randomBytes(16).toString('base64url'), role, expiresAt: now + this.auth.sessionTtlMs }
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url')
    return { token: `${payload}.${await this.sign(role, payload)}`, session }
  }

  /** The session a token stands for, or undefined when it is malformed, forged, expired or logged out. */
  async verify(token: string, now = Date.now()): Promise<Session | undefined> {
    const [payload, signature, ...rest] = token.split('.')
    if (!payload || !signature || rest.length) return undefined
    let session: Session
    try {
      const parsed = SessionSchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')))
      if (!parsed.success) return undefined
      session = parsed.data
    } catch {
      return undefined
    }
    if (!this.auth.credentials[session.role]) return undefined
    const expected = Buffer.from(await this.sign(session.role, payload))
    const given = Buffer.from(signature)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    if (session.expiresAt <= now || (await this.store.isSignedOut(session))) return undefined
    return session
  }

  /** Logs a session out for good: every process sees it listed from now on. */
  revoke(session: Session, now = Date.now()): Promise<void> {
    return this.store.signOut(session, now)
  }

  private async sign(role: Role, payload: string): Promise<string> {
    const credential = this.auth.credentials[role]
    if (!credential) throw new Error(`No password is set for the ${role} role`)
    const roleKey = createHmac('sha256', await this.loadSecret()).update(`${role}\n${credentialText(credential)}`).digest()
    return createHmac('sha256', roleKey).update(payload).digest('base64url')
  }

  private loadSecret(): Promise<Buffer> {
    this.secret ??= this.store.secret().catch((err: unknown) => {
      this.secret = undefined
      throw err
    })
    return this.secret
  }
}

/** The files backend's: DATA_DIR/.auth, readable by the server's user only; a signed-out session is an empty file named after it. */
export class FileSessionStore implements SessionStore {
  private readonly dir: string

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, authDirName)
  }

  secret(): Promise<Buffer> {
    return readOrCreateSecret(this.dir)
  }

  async signOut(session: Session, now: number): Promise<void> {
    const revoked = this.revokedDir()
    await mkdir(revoked, { recursive: true, mode: 0o700 })
    const marker = await open(this.revokedFile(session), 'w', 0o600)
    await marker.close()
    // The list only needs sessions that have not expired yet.
    for (const name of await readdir(revoked)) {
      const expiresAt = Number(name.split('-')[0])
      if (expiresAt <= now) await rm(path.join(revoked, name), { force: true })
    }
  }

  async isSignedOut(session: Session): Promise<boolean> {
    try {
      await stat(this.revokedFile(session))
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw err
    }
  }

  private revokedDir(): string {
    return path.join(this.dir, 'revoked')
  }

  private revokedFile(session: Session): string {
    return path.join(this.revokedDir(), `${session.expiresAt}-${session.id}`)
  }
}

/**
 * DATA_DIR/.auth/session-secret, made once by whichever process needs it first: written to a temp
 * file, then linked into place, which fails if another process got there first (its secret wins).
 */
async function readOrCreateSecret(dir: string): Promise<Buffer> {
  const file = path.join(dir, 'session-secret')
  try {
    return Buffer.from(await readFile(file, 'utf8'), 'hex')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const temp = path.join(dir, `session-secret.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(temp, 'wx', 0o600)
    try {
      await handle.writeFile(randomBytes(32).toString('hex'))
      await handle.sync()
    } finally {
      await handle.close()
    }
    await link(temp, file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err
    })
  } finally {
    await rm(temp, { force: true })
  }
  return Buffer.from(await readFile(file, 'utf8'), 'hex')
}

