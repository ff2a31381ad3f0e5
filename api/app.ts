import express, { type Express, type RequestHandler } from 'express'
import { assetsRouter } from './assets/router.js'
import { requireSession } from './auth/access.js'
import { authRouter } from './auth/router.js'
import { SessionKeeper } from './auth/session.js'
import type { AppConfig } from './config.js'
import { errorHandler, notFound } from './errors.js'
import { ServerMatcher } from './faces/matcher.js'
import { facesRouter } from './faces/router.js'
import { healthRouter } from './health/router.js'
import { log } from './logging.js'
import { photosRouter } from './photos/router.js'
import { openBackend, type Backend } from './storage/backend.js'
import type { Storage } from './storage/port.js'
import { sendSecurityHeaders } from './security/headers.js'
import { knownHostsOnly } from './security/host.js'
import { sameOriginWrites } from './security/origin.js'
import { rateLimit } from './security/rate-limit.js'
import { peopleRouter } from './people/router.js'
import { personName } from './validate.js'

/**
 * The API and the files it owns (/api, /data, /models, /wasm). Any other path falls
 * through to the next handler, which in production is the Nuxt app. Every response, the
 * pages' too, gets the security headers; no request is answered under another host's name,
 * and no write is taken from another site.
 */
export function createApiApp(config: AppConfig, backend: Backend = openBackend(config)): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', config.trustProxy)
  app.use(sendSecurityHeaders())
  app.use(knownHostsOnly(config))
  app.use(sameOriginWrites())

  const { storage } = backend
  sweepLeftovers(storage)
  const sessions = config.auth ? new SessionKeeper(backend.sessions, config.auth) : undefined
  const { login, loginWindowMs, upload, uploadWindowMs } = config.rateLimits
  const failedSignIns = backend.rateLimits('failed-sign-ins', login, loginWindowMs)

  const api = express.Router()
  api.use(requireSession(config, sessions, 'api'))
  // The person of `/people/:name/photos`; the people and faces routers parse their own `:name` the same way.
  api.param('name', personName)
  // People live at /api/people; /api/users, their first name, answers as it always did.
  const peopleAt = ['/people', '/users']
  const photosAt = peopleAt.map((base) => `${base}/:name/photos`)
  const uploads = rateLimit(backend.rateLimits('uploads', upload, uploadWindowMs), 'uploads')
  api.post(photosAt, uploads)
  api.put(photosAt.map((photos) => `${photos}/:photo`), uploads)
  // Photos and the face model first: they take larger bodies than the rest of the API.
  api.use(photosAt, photosRouter(config, storage))
  api.use('/faces', facesRouter(storage, { matcher: new ServerMatcher(storage, config.matchOnServer), eventStreamsMax: config.eventStreamsMax }))
  api.use(express.json({ limit: '100kb' }))
  api.use('/auth', authRouter(config, sessions, failedSignIns))
  api.use('/health', healthRouter(config, () => backend.reach()))
  api.use('/people', peopleRouter(storage, 'people'))
  api.use('/users', peopleRouter(storage, 'users'))
  api.use(notFound)
  app.use('/api', api)

  app.use('/data', requireSession(config, sessions, 'data'))
  app.get('/data/users/:name/:photo', storedPhotos(storage))
  app.use('/data', notFound)
  app.use(assetsRouter())
  app.use(errorHandler)
  return app
}

/**
 * A person's stored photo, from the storage. Biometric data: never kept by a shared cache, and
 * checked with the server before reuse (the ETag that Express sends with it).
 */
function storedPhotos(storage: Storage): RequestHandler<{ name: string; photo: string }> {
  return async (req, res, next) => {
    const bytes = await storage.readPhoto(req.params.name, req.params.photo)
    if (!bytes) return next()
    res.set('Cache-Control', 'private, no-cache').type('image/jpeg').send(bytes)
  }
}

/**
 * Removes what processes killed mid-way left behind: folders of interrupted deletions, and temp
 * files of interrupted uploads (which also makes the uploads folder). Every worker of a PM2
 * cluster sweeps as it starts, all at the same time: their sweeps overlap harmlessly. Nothing
 * waits for it, as nothing lists the hidden files; one that fails is logged and tried again at
 * the next start.
 */
function sweepLeftovers(storage: Storage): void {
  storage.sweep().then(
    (swept) => {
      for (const { what, count } of swept) if (count) log('info', `removed ${what}`, { count })
    },
    (err: unknown) => log('warn', 'could not remove what interrupted changes left', { error: String(err) }),
  )
}
