import { createHash, randomBytes } from 'node:crypto'
import { rename, rm, writeFile } from 'node:fs/promises'
import { withoutPhotos } from '../../shared/face/model.js'
import { HttpError } from '../errors.js'
import { faceModel } from '../faces/store.js'
import { resolveInside } from '../safe-path.js'
import { personDir, photoUrl, requirePerson, storedPhotoName } from '../users/service.js'
import type { StoredPhoto } from './schema.js'

let lastStamp = 0

function newPhotoName(): string {
  // Time first, strictly increasing, so that names sort in the order photos were added.
  lastStamp = Math.max(Date.now(), lastStamp + 1)
  return `${lastStamp.toString(36)}-${randomBytes(4).toString('hex')}.jpg`
}

/**
 * Writes already-normalised photos for a person: each to a hidden temp file first, then
 * renamed into place. On any failure every file this call wrote is removed again.
 */
export async function storePhotos(dataDir: string, person: string, photos: Buffer[]): Promise<StoredPhoto[]> {
  await requirePerson(dataDir, person)
  const folder = personDir(dataDir, person)
  const planned = photos.map((bytes) => {
    const name = newPhotoName()
    return {
      bytes,
      name,
      temp: resolveInside(folder, `.upload-${name}`),
      final: resolveInside(folder, name),
    }
  })
  try {
    for (const photo of planned) await writeFile(photo.temp, photo.bytes, { flag: 'wx' })
    for (const photo of planned) await rename(photo.temp, photo.final)
  } catch (err) {
    await Promise.all(planned.flatMap((photo) => [rm(photo.temp, { force: true }), rm(photo.final, { force: true })]))
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new HttpError(404, 'person_not_found', `Nobody is registered as "${person}"`)
    }
    throw err
  }
  return planned.map((photo) => ({
    name: photo.name,
    url: photoUrl(person, photo.name),
    hash: createHash('sha256').update(photo.bytes).digest('hex'),
  }))
}

export async function deletePhoto(dataDir: string, person: string, photo: string): Promise<void> {
  const current = await requirePerson(dataDir, person)
  if (!storedPhotoName.test(photo) || !current.photos.some((stored) => stored.name === photo)) {
    throw new HttpError(404, 'photo_not_found', `${person} has no photo "${photo}"`)
  }
  await faceModel(dataDir).update((model) => withoutPhotos(model, person, [photo]))
  await rm(resolveInside(personDir(dataDir, person), photo))
}
