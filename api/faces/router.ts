import express, { Router, type Request, type Response } from 'express'
import { defaultDecisionRule } from '../../shared/face/match.js'
import type { FaceModel } from '../../shared/face/model.js'
import type { Storage } from '../storage/port.js'
import type { PersonParams } from '../people/router.js'
import { personName, withBody } from '../validate.js'
import { modelJson } from './body.js'
import { modelEvents } from './events.js'
import type { ServerMatcher } from './matcher.js'
import {
  AnyModelBodySchema,
  ConfirmPhotoBodySchema,
  MatchBodySchema,
  PersonModelBodySchema,
  PersonModelPatchSchema,
  refusedModel,
  type MatchResponse,
  type ModelWriteResponse,
} from './schema.js'
import { confirmPhoto, flaggedPhotos, patchPersonModel, putPersonModel, removePersonModel, replaceModel } from './service.js'

/**
 * Every write answers with the generation it made, which the next whole-model write must quote;
 * a write of one person's entry, with that person's photos flagged as someone else's look-alike.
 */
function sendGeneration(res: Response, saved: FaceModel, person?: string): void {
  const body: ModelWriteResponse = { generation: saved.generation }
  if (person !== undefined) body.flagged = flaggedPhotos(saved, person)
  res.json(body)
}

const smallJson = express.json({ limit: '1kb' })
/** maxFacesPerMatch descriptors of 128 numbers, each written out in full. */
const matchJson = express.json({ limit: '200kb' })

export interface FacesRouterOptions {
  matcher: ServerMatcher
  /** Event streams this process keeps open at most. */
  eventStreamsMax: number
}

export function facesRouter(storage: Storage, { matcher, eventStreamsMax }: FacesRouterOptions): Router {
  const router = Router()
  router.param('name', personName)

  router.get('/events', modelEvents(storage, eventStreamsMax))

  router.post(
    '/match',
    matchJson,
    withBody(MatchBodySchema, async ({ descriptors, threshold }, _req, res) => {
      const body: MatchResponse = await matcher.match(descriptors, { ...defaultDecisionRule, threshold: threshold ?? defaultDecisionRule.threshold })
      res.set('Cache-Control', 'no-store').json(body)
    }),
  )

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
    withBody(PersonModelBodySchema, async (entry, req: Request<PersonParams>, res) => sendGeneration(res, await putPersonModel(storage, req.params.name, entry), req.params.name), refusedModel),
  )

  router.patch(
    '/people/:name',
    modelJson,
    withBody(PersonModelPatchSchema, async (patch, req: Request<PersonParams>, res) => sendGeneration(res, await patchPersonModel(storage, req.params.name, patch), req.params.name), refusedModel),
  )

  /** A photo flagged as another person's look-alike is theirs after all: `{ generation }` of the model the flag was read from. */
  router.post(
    '/people/:name/photos/:photo/confirm',
    smallJson,
    withBody(ConfirmPhotoBodySchema, async ({ generation }, req: Request<PersonParams & { photo: string }>, res) => {
      sendGeneration(res, await confirmPhoto(storage, req.params.name, req.params.photo, generation), req.params.name)
    }),
  )

  router.delete('/people/:name', async (req, res) => {
    sendGeneration(res, await removePersonModel(storage, req.params.name))
  })

  return router
}
