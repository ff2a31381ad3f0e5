import type { Request, RequestHandler, Response } from 'express'
import type { AppConfig } from '../config.js'
import type { Role } from '../../shared/auth/roles.js'
import { HttpError } from '../errors.js'
import { sessionCookie, type Session, type SessionKeeper } from './session.js'

/** The value of one cookie of the request, if it has it. */
export function readCookie(req: Request, name: string): string | undefined {
  for (const pair of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=')
    if (key === name) return value.join('=')
  }
  return undefined
}

export function sessionOf(res: Response): Session | undefined {
  return res.locals.session as Session | undefined
}

type Access = Role | 'public'

/**
 * What a request to the API needs, by its path inside /api: health and sign-in are open, the viewer
 * may read the face model, its events and match faces (all the Recognize page needs), everything else
 * is the admin's. With matching on the server only, the model itself is the admin's too: no viewer's
 * browser holds the templates. Express matches routes regardless of case, so the path is compared in lower case too.
 */
function apiAccess(config: AppConfig, method: string, path: string): Access {
  const route = path.toLowerCase().replace(/\/$/, '')
  const reads = method === 'GET' || method === 'HEAD'
  if (route === '/health' || route.startsWith('/health/') || route.startsWith('/auth/')) return 'public'
  if (route === '/faces' && reads) return config.matchOnServer ? 'admin' : 'viewer'
  if ((route === '/faces/events' && reads) || (route === '/faces/match' && method === 'POST')) return 'viewer'
  return 'admin'
}

/**
 * With authentication on, the gate in front of /api and /data (photos are the admin's): reads the
 * session cookie, then answers 401 without a valid session and 403 for a role that may not pass.
 */
export function requireSession(config: AppConfig, sessions: SessionKeeper | undefined, area: 'api' | 'data'): RequestHandler {
  return async (req, res, next) => {
    if (!config.auth || !sessions) return next()
    const token = readCookie(req, sessionCookie)
    const session = token ? await sessions.verify(token) : undefined
    res.locals.session = session
    const access = area === 'data' ? 'admin' : apiAccess(config, req.method, req.path)
    if (access === 'public') return next()
    if (!session) throw new HttpError(401, 'unauthenticated', 'Sign in to continue')
    if (access === 'admin' && session.role !== 'admin') {
      throw new HttpError(403, 'forbidden', 'Only an admin can do this; sign in as admin')
    }
    next()
  }
}
