import { Router, type Request } from 'express'
import type { Storage } from '../storage/port.js'
import { personName, withBody } from '../validate.js'
import { CreatePersonBodySchema, RenamePersonBodySchema, type PeopleResponse, type UsersResponse } from './schema.js'
import { createPerson, deletePerson, renamePerson, requirePerson } from './service.js'

/** The routes of one person: `:name`, parsed by `personName`. */
export type PersonParams = { name: string }

/**
 * The people routes, mounted at /api/people and at /api/users: the first version's name, whose list
 * answers `{ users }` and whose new people are located under it, so clients written against it keep working.
 */
export function peopleRouter(storage: Storage, mountedAs: 'people' | 'users'): Router {
  const router = Router()
  router.param('name', personName)

  router.get('/', async (_req, res) => {
    const people = await storage.listPeople()
    const body: PeopleResponse | UsersResponse = mountedAs === 'people' ? { people } : { users: people }
    res.set('Cache-Control', 'no-store').json(body)
  })

  router.post(
    '/',
    withBody(CreatePersonBodySchema, async ({ name }, _req, res) => {
      const person = await createPerson(storage, name)
      res.status(201).location(`/api/${mountedAs}/${encodeURIComponent(name)}`).json(person)
    }),
  )

  router.get('/:name', async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await requirePerson(storage, req.params.name))
  })

  router.patch(
    '/:name',
    withBody(RenamePersonBodySchema, async ({ name }, req: Request<PersonParams>, res) => {
      res.json(await renamePerson(storage, req.params.name, name))
    }),
  )

  router.delete('/:name', async (req, res) => {
    await deletePerson(storage, req.params.name)
    res.status(204).end()
  })

  return router
}
