import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { withoutPerson, withoutPhotos, withPerson, type FaceModel } from '../../shared/face/model.js'
import { HttpError } from '../errors.js'
import { listPeople, personDir } from '../users/folders.js'
import { requirePerson } from '../users/service.js'
import type { PersonModelBody, PersonModelPatch, PhotoHash } from './schema.js'
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

/**
 * Replaces the whole model. A model in this app's format must quote the current generation, or it
 * was made from a model that has changed since (another tab, another admin): a 409, and nothing is
 * written. An import (the reference app's array) has no generation and replaces the model as it is.
 */
export function replaceModel(dataDir: string, next: FaceModel, isImport: boolean): Promise<FaceModel> {
  return faceModel(dataDir).update((current) => {
    if (!isImport && next.generation !== current.generation) {
      throw new HttpError(409, 'stale_model', `The face model changed since you read it (generation ${current.generation}, yours ${next.generation}); reload and try again`)
    }
    return next
  })
}

/** Per-person training: the person's whole entry replaces theirs. */
export function putPersonModel(dataDir: string, name: string, entry: PersonModelBody): Promise<FaceModel> {
  return updatePersonModel(dataDir, name, (current) => withPerson(current, { name, ...entry }))
}

/**
 * One-by-one training: each photo in the patch gets the result given for it (a descriptor or a
 * rejection, replacing any it had), the photos listed in `remove` lose theirs, and every other
 * photo of the person keeps what it had.
 */
export function patchPersonModel(dataDir: string, name: string, patch: PersonModelPatch): Promise<FaceModel> {
  const changed = [...patch.descriptors, ...patch.rejected].map((entry) => entry.photo)
  return updatePersonModel(dataDir, name, (current) => {
    const base = withoutPhotos(current, name, [...changed, ...patch.remove])
    const person = base.people.find((candidate) => candidate.name === name) ?? { name, descriptors: [], rejected: [] }
    return withPerson(base, {
      name,
      descriptors: [...person.descriptors, ...patch.descriptors],
      rejected: [...person.rejected, ...patch.rejected],
    })
  })
}

/** Forgets a person's entry (their folder stays: see deletePerson for both). */
export function removePersonModel(dataDir: string, name: string): Promise<FaceModel> {
  return faceModel(dataDir).update((current) => withoutPerson(current, name))
}
