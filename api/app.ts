import path from 'node:path'
import express, { type Express } from 'express'
import { assetsRouter } from './assets/router.js'
import { requireSession } from './auth/access.js'
import { authRouter } from './auth/router.js'
import { authDirName, SessionKeeper } from './auth/session.js'
import type { AppConfig } from './config.js'
import { errorHandler, notFound } from './errors.js'
import { ServerMatcher } from './faces/matcher.js'
import { facesRouter } from './faces/router.js'
import { healthRouter } from './health/router.js'
import { log } from './logging.js'
import { photosRouter } from './photos/router.js'
import { filesStorage } from './storage/files.js'
import type { Storage } from './storage/port.js'
import { sendSecurityHeaders } from './security/headers.js'
import { knownHostsOnly } from './security/host.js'
import { sameOriginWrites } from './security/origin.js'
import { FileRateLimitStore, MemoryRateLimitStore, rateLimit } from './security/rate-limit.js'
import { usersDir } from './storage/people-folders.js'
import { usersRouter } from './users/router.js'
import { personName } from './validate.js'

/**
 * The API and the files it owns (/api, /data, /models, /wasm). Any other path falls
 * through to the next handler, which in production is the Nuxt app. Every response, the
 * pages' too, gets the security headers; no request is answered under another host's name,
 * and no write is taken from another site.
 */
export function createApiApp(config: AppConfig): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', config.trustProxy)
  app.use(sendSecurityHeaders())
  app.use(knownHostsOnly(config))
  app.use(sameOriginWrites())

  const storage = filesStorage(config.dataDir)
  sweepLeftovers(storage)
  const sessions = config.auth ? new SessionKeeper(config.dataDir, config.auth) : undefined
  const { login, loginWindowMs, upload, uploadWindowMs } = config.rateLimits
  // Guesses are counted for the whole host, so that each PM2 worker does not grant its own. An
  // upload is limited where it costs: in the worker that decodes it.
  const failedSignIns = new FileRateLimitStore(path.join(config.dataDir, authDirName, 'failed-sign-ins.json'), login, loginWindowMs)

  const api = express.Router()
  api.use(requireSession(config, sessions, 'api'))
  // The person of `/users/:name/photos`; the users and faces routers parse their own `:name` the same way.
  api.param('name', personName)
  const uploads = rateLimit(new MemoryRateLimitStore(upload, uploadWindowMs), 'uploads')
  api.post('/users/:name/photos', uploads)
  api.put('/users/:name/photos/:photo', uploads)
  // Photos and the face model first: they take larger bodies than the rest of the API.
  api.use('/users/:name/photos', photosRouter(config, storage))
  api.use('/faces', facesRouter(storage, { matcher: new ServerMatcher(storage, config.matchOnServer), eventStreamsMax: config.eventStreamsMax }))
  api.use(express.json({ limit: '100kb' }))
  api.use('/auth', authRouter(config, sessions, failedSignIns))
  api.use('/health', healthRouter(config))
  api.use('/users', usersRouter(storage))
  api.use(notFound)
  app.use('/api', api)

  const photos = express.static(usersDir(config.dataDir), {
    dotfiles: 'deny',
    index: false,
    fallthrough: false,
    // Biometric data: never kept by a shared cache, and checked with the server before reuse.
    setHeaders: (res) => res.set('Cache-Control', 'private, no-cache'),
  })
  app.use('/data', requireSession(config, sessions, 'data'))
  app.use('/data/users', photos)
  app.use('/data', notFound)
  app.use(assetsRouter())
  app.use(errorHandler)
  return app
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
