import { Router, type Request } from 'express'
import type { AppConfig } from '../config.js'
import { personName, withBody } from '../validate.js'
import { CreatePersonBodySchema, RenamePersonBodySchema, type PeopleResponse } from './schema.js'
import { listPeople } from './folders.js'
import { createPerson, deletePerson, renamePerson, requirePerson } from './service.js'

/** The routes of one person: `:name`, parsed by `personName`. */
export type PersonParams = { name: string }

export function usersRouter(config: AppConfig): Router {
  const router = Router()
  const { dataDir } = config
  router.param('name', personName)

  router.get('/', async (_req, res) => {
    const body: PeopleResponse = { users: await listPeople(dataDir) }
    res.set('Cache-Control', 'no-store').json(body)
  })

  router.post(
    '/',
    withBody(CreatePersonBodySchema, async ({ name }, _req, res) => {
      const person = await createPerson(dataDir, name)
      res.status(201).location(`/api/users/${encodeURIComponent(name)}`).json(person)
    }),
  )

  router.get('/:name', async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await requirePerson(dataDir, req.params.name))
  })

  router.patch(
    '/:name',
    withBody(RenamePersonBodySchema, async ({ name }, req: Request<PersonParams>, res) => {
      res.json(await renamePerson(dataDir, req.params.name, name))
    }),
  )

  router.delete('/:name', async (req, res) => {
    await deletePerson(dataDir, req.params.name)
    res.status(204).end()
  })

  return router
}
