import express, { Router, type Request, type RequestHandler } from 'express'
import multer from 'multer'
import type { AppConfig } from '../config.js'
import { HttpError } from '../errors.js'
import { personParam } from '../users/router.js'
import { requirePerson } from '../users/service.js'
import { parseOr400 } from '../validate.js'
import { normalisePhoto } from './image.js'
import { maxPhotoBytes, maxPhotosPerRequest } from './limits.js'
import { SnapshotBodySchema, type UploadResponse } from './schema.js'
import { deletePhoto, storePhotos } from './service.js'

const megabytes = maxPhotoBytes / 1024 / 1024

const multerMessages: Record<string, [number, string, string]> = {
  LIMIT_FILE_SIZE: [413, 'file_too_large', `A photo can be at most ${megabytes} MB`],
  LIMIT_FILE_COUNT: [413, 'too_many_files', `Send at most ${maxPhotosPerRequest} photos at once`],
  LIMIT_PART_COUNT: [413, 'too_many_files', `Send at most ${maxPhotosPerRequest} photos at once`],
  LIMIT_FIELD_COUNT: [413, 'too_many_fields', 'The form has too many fields'],
  LIMIT_UNEXPECTED_FILE: [400, 'unexpected_field', 'Send photos in the form field "photos"'],
}

// Files are kept in memory: they are small, and nothing touches the disk before they are judged.
const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: maxPhotoBytes, files: maxPhotosPerRequest, fields: 5, parts: maxPhotosPerRequest + 5 },
}).array('photos', maxPhotosPerRequest)

const receivePhotos: RequestHandler = (req, res, next) => {
  upload(req, res, (err: unknown) => {
    if (err instanceof multer.MulterError) {
      const [status, code, message] = multerMessages[err.code] ?? [400, 'bad_upload', err.message]
      next(new HttpError(status, code, message))
      return
    }
    // Any other error comes from parsing the form (no boundary, a form cut short): the client's, not ours.
    next(err ? new HttpError(400, 'bad_upload', 'The upload is not a well-formed multipart form') : undefined)
  })
}

const receiveSnapshot = express.json({ limit: Math.ceil(maxPhotoBytes * 1.4) })

/** Reads either body a client may send: photo files as multipart, or a snapshot as a JSON data URL. */
const receiveBody: RequestHandler = (req, res, next) => {
  if (req.is('application/json')) receiveSnapshot(req, res, next)
  else if (req.is('multipart/form-data')) receivePhotos(req, res, next)
  else next(new HttpError(415, 'unsupported_content_type', 'Send photos as multipart/form-data, or a snapshot as JSON'))
}

function uploadedInputs(req: Request): { bytes: Buffer; label: string }[] {
  if (req.is('application/json')) {
    const { snapshot } = parseOr400(SnapshotBodySchema, req.body, 'invalid_snapshot')
    return [{ bytes: snapshot, label: 'The snapshot' }]
  }
  const files = (req.files as Express.Multer.File[] | undefined) ?? []
  return files.map((file) => ({ bytes: file.buffer, label: `"${file.originalname}"` }))
}

type PersonParams = { name: string }

export function photosRouter(config: AppConfig): Router {
  const router = Router({ mergeParams: true })
  const { dataDir } = config

  // Checked before the body is read: an upload for nobody is refused without being received.
  const personExists: RequestHandler<PersonParams> = async (req, _res, next) => {
    await requirePerson(dataDir, personParam(req.params.name))
    next()
  }

  router.post<'/', PersonParams>('/', personExists, receiveBody, async (req, res) => {
    const person = personParam(req.params.name)
    const inputs = uploadedInputs(req)
    if (inputs.length === 0) throw new HttpError(400, 'no_photos', 'Choose at least one photo to upload')
    // Every file is judged before any is stored: one bad file refuses the whole request.
    const photos: Buffer[] = []
    for (const input of inputs) photos.push(await normalisePhoto(input.bytes, input.label))
    const stored = await storePhotos(dataDir, person, photos)
    const body: UploadResponse = { photos: stored, person: await requirePerson(dataDir, person) }
    res.status(201).json(body)
  })

  router.delete<'/:photo', PersonParams & { photo: string }>('/:photo', async (req, res) => {
    await deletePhoto(dataDir, personParam(req.params.name), req.params.photo)
    res.status(204).end()
  })

  return router
}
