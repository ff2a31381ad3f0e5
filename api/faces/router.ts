import { Router, type Request, type Response } from 'express'
import type { FaceModel } from '../../shared/face/model.js'
import type { Storage } from '../storage/port.js'
import type { PersonParams } from '../users/router.js'
import { personName, withBody } from '../validate.js'
import { modelJson } from './body.js'
import { AnyModelBodySchema, PersonModelBodySchema, PersonModelPatchSchema, refusedModel, type ModelWriteResponse } from './schema.js'
import { patchPersonModel, putPersonModel, removePersonModel, replaceModel } from './service.js'

/** Every write answers with the generation it made, which the next whole-model write must quote. */
function sendGeneration(res: Response, saved: FaceModel): void {
  const body: ModelWriteResponse = { generation: saved.generation }
  res.json(body)
}

export function facesRouter(storage: Storage): Router {
  const router = Router()
  router.param('name', personName)

  router.get('/', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await storage.readModel())
  })

  router.get('/export', async (_req, res) => {
    res.set('Cache-Control', 'no-store').attachment('faces.json').json(await storage.readModel())
  })

  router.get('/photos', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ photos: await storage.photoHashes() })
  })

  router.put(
    '/',
    modelJson,
    withBody(AnyModelBodySchema, async (body, req, res) => sendGeneration(res, await replaceModel(storage, body, Array.isArray(req.body))), refusedModel),
  )

  router.put(
    '/people/:name',
    modelJson,
    withBody(PersonModelBodySchema, async (entry, req: Request<PersonParams>, res) => sendGeneration(res, await putPersonModel(storage, req.params.name, entry)), refusedModel),
  )

  router.patch(
    '/people/:name',
    modelJson,
    withBody(PersonModelPatchSchema, async (patch, req: Request<PersonParams>, res) => sendGeneration(res, await patchPersonModel(storage, req.params.name, patch)), refusedModel),
  )

  router.delete('/people/:name', async (req, res) => {
    sendGeneration(res, await removePersonModel(storage, req.params.name))
  })

  return router
}
