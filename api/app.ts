import express, { type Express } from 'express'
import { assetsRouter } from './assets/router.js'
import type { AppConfig } from './config.js'
import { errorHandler, notFound } from './errors.js'
import { facesRouter } from './faces/router.js'
import { healthRouter } from './health/router.js'
import { photosRouter } from './photos/router.js'
import { usersDir } from './users/service.js'
import { usersRouter } from './users/router.js'

/**
 * The API and the files it owns (/api, /data, /models, /wasm). Any other path falls
 * through to the next handler, which in production is the Nuxt app.
 */
export function createApiApp(config: AppConfig): Express {
  const app = express()
  app.disable('x-powered-by')

  const api = express.Router()
  // Photos and the face model first: they take larger bodies than the rest of the API.
  api.use('/users/:name/photos', photosRouter(config))
  api.use('/faces', facesRouter(config))
  api.use(express.json({ limit: '100kb' }))
  api.use('/health', healthRouter(config))
  api.use('/users', usersRouter(config))
  api.use(notFound)
  app.use('/api', api)

  const photos = express.static(usersDir(config.dataDir), { dotfiles: 'deny', index: false, fallthrough: false })
  app.use('/data/users', photos)
  app.use('/data', notFound)
  app.use(assetsRouter())
  app.use(errorHandler)
  return app
}
