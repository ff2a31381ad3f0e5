import { readFile } from 'node:fs/promises'
import express, { Router, type Request, type RequestHandler } from 'express'
import multer from 'multer'
import type { AppConfig } from '../config.js'
import type { Storage } from '../storage/port.js'
import { removeQuietly, uploadsFolder, uploadTempName } from '../storage/uploads.js'
import { HttpError } from '../errors.js'
import type { PersonParams } from '../people/router.js'
import { requirePerson } from '../people/service.js'
import { parseOr400, withBody } from '../validate.js'
import { preparePhoto, type PreparedPhoto } from './image.js'
import { maxPhotoBytes, maxPhotosPerRequest } from '../../shared/photos/limits.js'
import { PersonNameParamSchema } from '../../shared/people/names.js'
import { MovePhotoBodySchema, SnapshotBodySchema, type UploadResponse } from './schema.js'
import { deletePhoto, movePhoto, replacePhoto, storePhotos } from './service.js'

const megabytes = maxPhotoBytes / 1024 / 1024
const fileTooLarge = `A photo can be at most ${megabytes} MB`

const multerMessages: Record<string, [number, string, string]> = {
  LIMIT_FILE_SIZE: [413, 'file_too_large', fileTooLarge],
  LIMIT_FILE_COUNT: [413, 'too_many_files', `Send at most ${maxPhotosPerRequest} photos at once`],
  LIMIT_PART_COUNT: [413, 'too_many_files', `Send at most ${maxPhotosPerRequest} photos at once`],
  LIMIT_FIELD_COUNT: [413, 'too_many_fields', 'The form has too many fields'],
  LIMIT_UNEXPECTED_FILE: [400, 'unexpected_field', 'Send photos in the form field "photos"'],
}

/**
 * Files are streamed to temp files in DATA_DIR/.uploads as they arrive, so that uploads in
 * progress hold little memory however many there are; each is removed once its request is done,
 * by multer when the request fails or is cut off, by the route otherwise.
 */
function photoUploads(dataDir: string): RequestHandler {
  const disk = multer.diskStorage({
    destination: (_req, _file, done) => {
      uploadsFolder(dataDir).then(
        (folder) => done(null, folder),
        (err: Error) => done(err, ''),
      )
    },
    filename: (_req, _file, done) => done(null, uploadTempName()),
  })
  const storage: multer.StorageEngine = {
    _handleFile: (req, file, done) =>
      disk._handleFile(req, file, (err, info) => {
        if (!err || !file.path) return done(err, info)
        // multer forgets a file whose write failed (a full disk): the part written is removed here.
        void removeQuietly(file.path).then(() => done(err))
      }),
    _removeFile: (req, file, done) => disk._removeFile(req, file, done),
  }
  const upload = multer({
    storage,
    limits: { fileSize: maxPhotoBytes, files: maxPhotosPerRequest, fields: 5, parts: maxPhotosPerRequest + 5 },
  }).array('photos', maxPhotosPerRequest)

  return (req, res, next) => {
    upload(req, res, (err: unknown) => {
      if (err instanceof multer.MulterError) {
        const [status, code, message] = multerMessages[err.code] ?? [400, 'bad_upload', err.message]
        next(new HttpError(status, code, message))
        return
      }
      // Writing a file failed (a full or read-only disk): the error handler says which.
      if ((err as NodeJS.ErrnoException | undefined)?.syscall) return next(err)
      // Any other error comes from parsing the form (no boundary, a form cut short): the client's, not ours.
      next(err ? new HttpError(400, 'bad_upload', 'The upload is not a well-formed multipart form') : undefined)
    })
  }
}

// A data URL of the largest photo allowed, with room for the JSON around it.
const readSnapshot = express.json({ limit: Math.ceil(maxPhotoBytes / 3) * 4 + 1024 })

const receiveSnapshot: RequestHandler = (req, res, next) => {
  readSnapshot(req, res, (err?: unknown) => {
    next((err as { type?: string } | undefined)?.type === 'entity.too.large' ? new HttpError(413, 'file_too_large', fileTooLarge) : err)
  })
}

const receivedFiles = (req: Request) => (req.files as Express.Multer.File[] | undefined) ?? []

/**
 * What a client sent: photo files as multipart, or a snapshot as a JSON data URL. A received file
 * is read whole when its turn comes, not handed to sharp by its path: libvips would map the file
 * and keep it mapped in its cache, holding on to a removed temp file's disk space.
 */
function uploadedInputs(req: Request): { read: () => Promise<Buffer>; label: string; fileName?: string }[] {
  if (req.is('application/json')) {
    const { snapshot } = parseOr400(SnapshotBodySchema, req.body, 'invalid_snapshot')
    if (snapshot.length > maxPhotoBytes) throw new HttpError(413, 'file_too_large', fileTooLarge)
    return [{ read: async () => snapshot, label: 'The snapshot' }]
  }
  return receivedFiles(req).map((file) => ({ read: () => readFile(file.path), label: `"${file.originalname}"`, fileName: file.originalname }))
}

export function photosRouter(config: AppConfig, storage: Storage): Router {
  const router = Router({ mergeParams: true })
  const { dataDir } = config
  const receivePhotos = photoUploads(dataDir)

  /** Reads either body a client may send. */
  const receiveBody: RequestHandler = (req, res, next) => {
    if (req.is('application/json')) receiveSnapshot(req, res, next)
    else if (req.is('multipart/form-data')) receivePhotos(req, res, next)
    else next(new HttpError(415, 'unsupported_content_type', 'Send photos as multipart/form-data, or a snapshot as JSON'))
  }

  // Checked before the body is read: an upload for nobody is refused without being received.
  // storePhotos checks again, under the lock that deleting a person takes.
  const personExists: RequestHandler<PersonParams> = async (req, _res, next) => {
    await requirePerson(storage, req.params.name)
    next()
  }

  async function storeUpload(req: Request<PersonParams>): Promise<UploadResponse> {
    const inputs = uploadedInputs(req)
    if (inputs.length === 0) throw new HttpError(400, 'no_photos', 'Choose at least one photo to upload')
    // Every file is judged before any is stored: one bad file refuses the whole request.
    const photos: PreparedPhoto[] = []
    for (const input of inputs) photos.push({ ...(await preparePhoto(await input.read(), input.label)), uploadedAs: input.fileName })
    const { stored, person } = await storePhotos(storage, req.params.name, photos)
    return { photos: stored, person }
  }

  router.post<'/', PersonParams>('/', personExists, receiveBody, async (req, res) => {
    // The files received are removed before the answer is sent, whatever it is.
    const body = await storeUpload(req).finally(() => Promise.all(receivedFiles(req).map((file) => removeQuietly(file.path))))
    res.status(201).json(body)
  })

  /** Replace: one photo (multipart or snapshot) takes the place of `:photo`; answers as an upload does. */
  router.put<'/:photo', PersonParams & { photo: string }>('/:photo', personExists, receiveBody, async (req, res) => {
    const replace = async (): Promise<UploadResponse> => {
      const inputs = uploadedInputs(req)
      if (inputs.length !== 1) throw new HttpError(400, inputs.length ? 'too_many_files' : 'no_photos', 'Choose one photo to put in its place')
      const prepared = { ...(await preparePhoto(await inputs[0]!.read(), inputs[0]!.label)), uploadedAs: inputs[0]!.fileName }
      const { stored, person } = await replacePhoto(storage, req.params.name, req.params.photo, prepared)
      return { photos: [stored], person }
    }
    const body = await replace().finally(() => Promise.all(receivedFiles(req).map((file) => removeQuietly(file.path))))
    res.json(body)
  })

  router.post(
    '/:photo/move',
    express.json({ limit: '1kb' }),
    withBody(MovePhotoBodySchema, async ({ to, generation }, req: Request<PersonParams & { photo: string }>, res) => {
      res.json(await movePhoto(storage, req.params.name, req.params.photo, parseOr400(PersonNameParamSchema, to, 'invalid_name'), generation))
    }),
  )

  router.delete<'/:photo', PersonParams & { photo: string }>('/:photo', async (req, res) => {
    await deletePhoto(storage, req.params.name, req.params.photo)
    res.status(204).end()
  })

  return router
}
