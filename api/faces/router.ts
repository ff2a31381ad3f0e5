import express, { Router, type Response } from 'express'
import { parseAnyModel, withoutPerson, withoutPhotos, withPerson, type FaceModel } from '../../shared/face/model.js'
import type { AppConfig } from '../config.js'
import { personParam } from '../users/router.js'
import { modelJson } from './body.js'
import { validateBody } from '../validate.js'
import { ConfirmPhotoBodySchema, type ConfirmPhotoBody, parseModelBody, PersonModelBodySchema, PersonModelPatchSchema, refusedModel, type ModelWriteResponse } from './schema.js'
import { assertGeneration, confirmPhoto, flaggedPhotos, listPhotoHashes, updatePersonModel } from './service.js'
import { faceModel } from './store.js'

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

export function facesRouter(config: AppConfig): Router {
  const router = Router()
  const { dataDir } = config
  const store = faceModel(dataDir)

  router.get('/', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await store.read())
  })

  router.get('/export', async (_req, res) => {
    res.set('Cache-Control', 'no-store').attachment('faces.json').json(await store.read())
  })

  router.get('/photos', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ photos: await listPhotoHashes(dataDir) })
  })

  /**
   * The whole model, in this app's format (its `generation` must be the current one, or the
   * write is stale: 409) or the reference app's array (an import, which replaces the model).
   */
  router.put('/', modelJson, async (req, res) => {
    const parsed = parseAnyModel(req.body)
    if (!parsed.success) throw refusedModel(parsed.error)
    const isImport = Array.isArray(req.body)
    const saved = await store.update((current) => {
      if (!isImport) assertGeneration(current, parsed.data.generation)
      return parsed.data
    })
    sendGeneration(res, saved)
  })

  router.put('/people/:name', modelJson, async (req, res) => {
    const name = personParam(req.params.name)
    const entry = parseModelBody(PersonModelBodySchema, req.body)
    const saved = await updatePersonModel(dataDir, name, (current) => withPerson(current, { name, ...entry }))
    sendGeneration(res, saved, name)
  })

  router.patch('/people/:name', modelJson, async (req, res) => {
    const name = personParam(req.params.name)
    const patch = parseModelBody(PersonModelPatchSchema, req.body)
    const changed = [...patch.descriptors, ...patch.rejected].map((entry) => entry.photo)
    const saved = await updatePersonModel(dataDir, name, (current) => {
      const base = withoutPhotos(current, name, [...changed, ...patch.remove])
      const person = base.people.find((candidate) => candidate.name === name) ?? { name, descriptors: [], rejected: [] }
      return withPerson(base, {
        name,
        descriptors: [...person.descriptors, ...patch.descriptors],
        rejected: [...person.rejected, ...patch.rejected],
      })
    })
    sendGeneration(res, saved, name)
  })

  /** A photo flagged as another person's look-alike is theirs after all: `{ generation }` of the model the flag was read from. */
  router.post<'/people/:name/photos/:photo/confirm', { name: string; photo: string }>('/people/:name/photos/:photo/confirm', smallJson, validateBody(ConfirmPhotoBodySchema), async (req, res) => {
    const name = personParam(req.params.name)
    const { generation } = req.body as ConfirmPhotoBody
    const saved = await confirmPhoto(dataDir, name, req.params.photo, generation)
    sendGeneration(res, saved, name)
  })

  router.delete('/people/:name', async (req, res) => {
    const name = personParam(req.params.name)
    const saved = await store.update((current) => withoutPerson(current, name))
    sendGeneration(res, saved)
  })

  return router
}
