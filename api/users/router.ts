import { Router } from 'express'
import type { AppConfig } from '../config.js'
import { parseOr400, validateBody } from '../validate.js'
import { PersonNameParamSchema } from '../../shared/people/names.js'
import {
  CreatePersonBodySchema,
  RenamePersonBodySchema,
  type CreatePersonBody,
  type PeopleResponse,
  type RenamePersonBody,
} from './schema.js'
import { createPerson, deletePerson, listPeople, renamePerson, requirePerson } from './service.js'

/** The `:name` route parameter, held to the rules that keep it a plain folder name (see PersonNameParamSchema). */
export function personParam(value: unknown): string {
  return parseOr400(PersonNameParamSchema, value, 'invalid_name')
}

export function usersRouter(config: AppConfig): Router {
  const router = Router()
  const { dataDir } = config

  router.get('/', async (_req, res) => {
    const body: PeopleResponse = { users: await listPeople(dataDir) }
    res.set('Cache-Control', 'no-store').json(body)
  })

  router.post('/', validateBody(CreatePersonBodySchema), async (req, res) => {
    const { name } = req.body as CreatePersonBody
    const person = await createPerson(dataDir, name)
    res.status(201).location(`/api/users/${encodeURIComponent(name)}`).json(person)
  })

  router.get('/:name', async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await requirePerson(dataDir, personParam(req.params.name)))
  })

  router.patch('/:name', validateBody(RenamePersonBodySchema), async (req, res) => {
    const { name } = req.body as RenamePersonBody
    res.json(await renamePerson(dataDir, personParam(req.params.name), name))
  })

  router.delete('/:name', async (req, res) => {
    await deletePerson(dataDir, personParam(req.params.name))
    res.status(204).end()
  })

  return router
}
