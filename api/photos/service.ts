// The rules for a person's photos: they are stored only for someone registered, a photo is removed with
// its descriptor or rejection, and each happens in one storage change.
import { withoutPhotos } from '../../shared/face/model.js'
import { photoUrl } from '../../shared/people/photos.js'
import { HttpError } from '../errors.js'
import type { Storage } from '../storage/port.js'
import type { Person } from '../users/schema.js'
import { requirePerson } from '../users/service.js'
import type { StoredPhoto } from './schema.js'

/**
 * Stores already-normalised photos for a person: staged first, outside any change, then placed in
 * one change once it is certain the person is registered. On any failure none of them stays.
 * Answers with the photos and the person as they are then.
 */
export async function storePhotos(storage: Storage, person: string, photos: Buffer[]): Promise<{ stored: StoredPhoto[]; person: Person }> {
  const staged = await storage.stagePhotos(photos)
  try {
    const { result } = await storage.change(async (change) => {
      await requirePerson(change, person)
      await change.placePhotos(person, staged.photos)
      return { model: change.model, result: await requirePerson(change, person) }
    })
    const stored = staged.photos.map((photo) => ({ name: photo.name, url: photoUrl(person, photo.name), hash: photo.hash }))
    return { stored, person: result }
  } finally {
    await staged.discard()
  }
}

/** Removes a photo and its descriptor or rejection together. */
export async function deletePhoto(storage: Storage, person: string, photo: string): Promise<void> {
  await storage.change(async (change) => {
    const current = await requirePerson(change, person)
    if (!current.photos.some((stored) => stored.name === photo)) {
      throw new HttpError(404, 'photo_not_found', `${person} has no photo "${photo}"`)
    }
    await change.deletePhoto(person, photo)
    return { model: withoutPhotos(change.model, person, [photo]), result: undefined }
  })
}
