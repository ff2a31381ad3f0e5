import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { withPhotoConfirmed, type FaceModel, type LookAlike } from '../../shared/face/model.js'
import { flagLookAlikes } from '../../shared/face/training.js'
import { HttpError } from '../errors.js'
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
 * someone who was deleted or renamed a moment before. The look-alike flags are brought up to
 * date in the same write, whichever trainer sent the entry: no client can enrol one face under
 * two names unseen.
 */
export function updatePersonModel(dataDir: string, name: string, change: (model: FaceModel) => FaceModel): Promise<FaceModel> {
  return faceModel(dataDir).update(async (model) => {
    await requirePerson(dataDir, name)
    const changed = change(model)
    return changed === model ? model : flagLookAlikes(changed, [name], model)
  })
}

/** A write based on a model read before the current generation is stale: 409. */
export function assertGeneration(current: FaceModel, generation: number): void {
  if (generation !== current.generation) {
    throw new HttpError(409, 'stale_model', `The face model changed since you read it (generation ${current.generation}, yours ${generation}); reload and try again`)
  }
}

/** A person's photos flagged as someone else's look-alike, as a write's answer reports them. */
export function flaggedPhotos(model: FaceModel, name: string): { photo: string; lookAlike: LookAlike }[] {
  const person = model.people.find((candidate) => candidate.name === name)
  return (person?.descriptors ?? []).flatMap(({ photo, lookAlike }) => (lookAlike ? [{ photo, lookAlike }] : []))
}

/** The person says a flagged photo is theirs: it names faces again. */
export function confirmPhoto(dataDir: string, name: string, photo: string, generation: number): Promise<FaceModel> {
  return faceModel(dataDir).update(async (model) => {
    assertGeneration(model, generation)
    await requirePerson(dataDir, name)
    const entry = model.people.find((person) => person.name === name)?.descriptors.find((candidate) => candidate.photo === photo)
    if (!entry) throw new HttpError(404, 'photo_not_found', `${name} has no trained photo "${photo}"`)
    if (!entry.lookAlike) throw new HttpError(409, 'not_flagged', `${name}'s photo "${photo}" is not flagged as someone else's look-alike`)
    // The photo it looked like is judged again: confirming one photo never flags another.
    return flagLookAlikes(withPhotoConfirmed(model, name, photo), [])
  })
}
