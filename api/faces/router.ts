import { Router, type Request, type Response } from 'express'
import type { FaceModel } from '../../shared/face/model.js'
import type { AppConfig } from '../config.js'
import type { PersonParams } from '../users/router.js'
import { personName, withBody } from '../validate.js'
import { modelJson } from './body.js'
import { AnyModelBodySchema, PersonModelBodySchema, PersonModelPatchSchema, refusedModel, type ModelWriteResponse } from './schema.js'
import { listPhotoHashes, patchPersonModel, putPersonModel, removePersonModel, replaceModel } from './service.js'
import { faceModel } from './store.js'

/** Every write answers with the generation it made, which the next whole-model write must quote. */
function sendGeneration(res: Response, saved: FaceModel): void {
  const body: ModelWriteResponse = { generation: saved.generation }
  res.json(body)
}

export function facesRouter(config: AppConfig): Router {
  const router = Router()
  const { dataDir } = config
  const store = faceModel(dataDir)
  router.param('name', personName)

  router.get('/', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await store.read())
  })

  router.get('/export', async (_req, res) => {
    res.set('Cache-Control', 'no-store').attachment('faces.json').json(await store.read())
  })

  router.get('/photos', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ photos: await listPhotoHashes(dataDir) })
  })

  router.put(
    '/',
    modelJson,
    withBody(AnyModelBodySchema, async (body, req, res) => sendGeneration(res, await replaceModel(dataDir, body, Array.isArray(req.body))), refusedModel),
  )

  router.put(
    '/people/:name',
    modelJson,
    withBody(PersonModelBodySchema, async (entry, req: Request<PersonParams>, res) => sendGeneration(res, await putPersonModel(dataDir, req.params.name, entry)), refusedModel),
  )

  router.patch(
    '/people/:name',
    modelJson,
    withBody(PersonModelPatchSchema, async (patch, req: Request<PersonParams>, res) => sendGeneration(res, await patchPersonModel(dataDir, req.params.name, patch)), refusedModel),
  )

  router.delete('/people/:name', async (req, res) => {
    sendGeneration(res, await removePersonModel(dataDir, req.params.name))
  })

  return router
}
