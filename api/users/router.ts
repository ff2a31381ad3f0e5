import { Router } from 'express'
import type { AppConfig } from '../config.js'
import type { PeopleResponse } from './schema.js'
import { listPeople } from './service.js'

export function usersRouter(config: AppConfig): Router {
  const router = Router()
  router.get('/', async (_req, res) => {
    const body: PeopleResponse = { users: await listPeople(config.dataDir) }
    res.set('Cache-Control', 'no-store').json(body)
  })
  return router
}
