import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { FaceModel } from '../../shared/face/model.js'
import { listPeople, personDir, requirePerson } from '../users/service.js'
import type { PhotoHash } from './schema.js'
import { faceModel } from './store.js'

const hashCache = new Map<string, { key: string; hash: string }>()

async function photoHash(file: string): Promise<string> {
  const info = await stat(file)
  const key = `${info.size}:${info.mtimeMs}`
  const cached = hashCache.get(file)
  if (cached?.key === key) return cached.hash
  const hash = createHash('sha256').update(await readFile(file)).digest('hex')
  hashCache.set(file, { key, hash })
  return hash
}

/** The content hash of every stored photo: training processes a photo again only when it changed. */
export async function listPhotoHashes(dataDir: string): Promise<PhotoHash[]> {
  const people = await listPeople(dataDir)
  const hashes = await Promise.all(
    people.flatMap((person) =>
      person.photos.map(async (photo) => ({
        person: person.name,
        photo: photo.name,
        hash: await photoHash(path.join(personDir(dataDir, person.name), photo.name)),
      })),
    ),
  )
  return hashes
}

/**
 * Changes the entry of a registered person, checking that they are registered under the same
 * lock as registering, renaming and deleting people take: an entry cannot be written for
 * someone who was deleted or renamed a moment before.
 */
export function updatePersonModel(dataDir: string, name: string, change: (model: FaceModel) => FaceModel): Promise<FaceModel> {
  return faceModel(dataDir).update(async (model) => {
    await requirePerson(dataDir, name)
    return change(model)
  })
}
