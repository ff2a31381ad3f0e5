// The rules for the face model: a whole-model write must quote the current generation (or it is an
// import), a person's entry is written only while they are registered, and a patch merges per photo.
import { withoutPerson, withoutPhotos, withPerson, withPhotoConfirmed, type FaceModel, type LookAlike } from '../../shared/face/model.js'
import { flagLookAlikes } from '../../shared/face/training.js'
import { HttpError } from '../errors.js'
import type { Storage } from '../storage/port.js'
import { requirePerson } from '../people/service.js'
import type { PersonModelBody, PersonModelPatch } from './schema.js'

/** Changes the model alone, in one storage change. */
export async function updateModel(storage: Storage, edit: (model: FaceModel) => FaceModel): Promise<FaceModel> {
  const { model } = await storage.change(async (change) => ({ model: edit(change.model), result: undefined }))
  return model
}

/**
 * Changes the entry of a registered person, checking that they are registered in the same change
 * as registering, renaming and deleting people make: an entry cannot be written for someone who
 * was deleted or renamed a moment before. The look-alike flags are brought up to date in the same
 * write, whichever trainer sent the entry: no client can enroll one face under two names unseen.
 */
export async function updatePersonModel(storage: Storage, name: string, edit: (model: FaceModel) => FaceModel): Promise<FaceModel> {
  const { model } = await storage.change(async (change) => {
    await requirePerson(change, name)
    const edited = edit(change.model)
    return { model: edited === change.model ? edited : flagLookAlikes(edited, [name], change.model), result: undefined }
  })
  return model
}

/**
 * Replaces the whole model. A model in this app's format must quote the current generation, or it
 * was made from a model that has changed since (another tab, another admin): a 409, and nothing is
 * written. An import (the reference app's array) has no generation and replaces the model as it is.
 */
export function replaceModel(storage: Storage, next: FaceModel, isImport: boolean): Promise<FaceModel> {
  return updateModel(storage, (current) => {
    if (!isImport) assertGeneration(current, next.generation)
    return next
  })
}

/** Per-person training: the person's whole entry replaces theirs. */
export function putPersonModel(storage: Storage, name: string, entry: PersonModelBody): Promise<FaceModel> {
  return updatePersonModel(storage, name, (current) => withPerson(current, { name, ...entry }))
}

/**
 * One-by-one training: each photo in the patch gets the result given for it (a descriptor or a
 * rejection, replacing any it had), the photos listed in `remove` lose theirs, and every other
 * photo of the person keeps what it had.
 */
export function patchPersonModel(storage: Storage, name: string, patch: PersonModelPatch): Promise<FaceModel> {
  const changed = [...patch.descriptors, ...patch.rejected].map((entry) => entry.photo)
  return updatePersonModel(storage, name, (current) => {
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
export function removePersonModel(storage: Storage, name: string): Promise<FaceModel> {
  return updateModel(storage, (current) => withoutPerson(current, name))
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
export async function confirmPhoto(storage: Storage, name: string, photo: string, generation: number): Promise<FaceModel> {
  const { model } = await storage.change(async (change) => {
    assertGeneration(change.model, generation)
    await requirePerson(change, name)
    const entry = change.model.people.find((person) => person.name === name)?.descriptors.find((candidate) => candidate.photo === photo)
    if (!entry) throw new HttpError(404, 'photo_not_found', `${name} has no trained photo "${photo}"`)
    if (!entry.lookAlike) throw new HttpError(409, 'not_flagged', `${name}'s photo "${photo}" is not flagged as someone else's look-alike`)
    // The photo it looked like is judged again: confirming one photo never flags another.
    return { model: flagLookAlikes(withPhotoConfirmed(change.model, name, photo), []), result: undefined }
  })
  return model
}
