import { timingSafeEqual, createHash } from 'node:crypto'
import { Router, type Request, type Response } from 'express'
import type { AppConfig, Credential } from '../config.js'
import type { Role } from '../../shared/auth/roles.js'
import { HttpError } from '../errors.js'
import { clientOf, countOrRefuse, type RateLimitStore } from '../security/rate-limit.js'
import { withBody } from '../validate.js'
import { sessionOf } from './access.js'
import { verifyPassword } from './password.js'
import { LoginBodySchema, type SessionResponse } from './schema.js'
import { sessionCookie, type Session, type SessionKeeper } from './session.js'

const digest = (text: string) => createHash('sha256').update(text.normalize('NFC')).digest()

async function matches(password: string, credential: Credential): Promise<boolean> {
  if ('hash' in credential) return verifyPassword(password, credential.hash)
  return timingSafeEqual(digest(password), digest(credential.password))
}

/** The role whose password this is. Every role's password is checked, so timing tells nothing. */
async function roleFor(password: string, credentials: Partial<Record<Role, Credential>>): Promise<Role | undefined> {
  const roles: Role[] = ['admin', 'viewer']
  const results = await Promise.all(roles.map(async (role) => {
    const credential = credentials[role]
    return credential !== undefined && (await matches(password, credential))
  }))
  return roles.find((_role, index) => results[index])
}

function sessionBody(config: AppConfig, session: Session | undefined): SessionResponse {
  if (!config.auth) return { authEnabled: false, role: 'admin', expiresAt: null }
  return { authEnabled: true, role: session?.role ?? null, expiresAt: session ? new Date(session.expiresAt).toISOString() : null }
}

/** Secure when the browser reached us over HTTPS (behind a proxy: with TRUST_PROXY set). */
function cookieOptions(req: Request) {
  return { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' } as const
}

function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(sessionCookie, cookieOptions(req))
}

/**
 * `/api/auth`: who is signed in, sign in with a password, sign out. The session gate runs first.
 * `failedSignIns` limits guesses: every sign-in counts as failed until its password proves right.
 */
export function authRouter(config: AppConfig, sessions: SessionKeeper | undefined, failedSignIns: RateLimitStore): Router {
  const router = Router()

  router.get('/session', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(sessionBody(config, sessionOf(res)))
  })

  router.post(
    '/login',
    withBody(LoginBodySchema, async ({ password }, req, res) => {
      if (!config.auth || !sessions) {
        throw new HttpError(409, 'auth_disabled', 'Authentication is off: set ADMIN_PASSWORD to turn it on')
      }
      await countOrRefuse(failedSignIns, req, res, 'failed sign-ins')
      const role = await roleFor(password, config.auth.credentials)
      if (!role) throw new HttpError(401, 'wrong_password', 'That password is not right')
      await failedSignIns.giveBack(clientOf(req))
      const { token, session } = await sessions.issue(role)
      res.cookie(sessionCookie, token, { ...cookieOptions(req), maxAge: config.auth.sessionTtlMs })
      res.set('Cache-Control', 'no-store').json(sessionBody(config, session))
    }),
  )

  router.post('/logout', async (req, res) => {
    const session = sessionOf(res)
    if (session && sessions) await sessions.revoke(session)
    clearSessionCookie(req, res)
    res.status(204).end()
  })

  return router
}
