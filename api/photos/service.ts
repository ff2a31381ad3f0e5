// The rules for a person's photos: they are stored only for someone registered, a photo is removed,
// replaced or given to another person together with its descriptor or rejection, and each happens in
// one storage change, with the look-alike flags it affects judged again in the same write.
import { withoutPhotos, withPhotoMoved } from '../../shared/face/model.js'
import { flagLookAlikes } from '../../shared/face/training.js'
import { newPhotoName, photoUrl } from '../../shared/photos/names.js'
import { HttpError } from '../errors.js'
import { assertGeneration } from '../faces/service.js'
import type { Storage } from '../storage/port.js'
import type { Person } from '../people/schema.js'
import { requirePerson } from '../people/service.js'
import type { PreparedPhoto } from './image.js'
import type { MovePhotoResponse, StoredPhoto } from './schema.js'

function assertPhoto(current: Person, photo: string): void {
  if (!current.photos.some((stored) => stored.name === photo)) {
    throw new HttpError(404, 'photo_not_found', `${current.name} has no photo "${photo}"`)
  }
}

/**
 * Stores already-normalized photos for a person: staged first, outside any change, then placed in
 * one change once it is certain the person is registered. On any failure none of them stays.
 * Answers with the photos and the person as they are then.
 */
export async function storePhotos(storage: Storage, person: string, photos: PreparedPhoto[]): Promise<{ stored: StoredPhoto[]; person: Person }> {
  const staged = await storage.stagePhotos(photos.map((photo) => ({ name: newPhotoName(photo.uploadedAs), bytes: photo.bytes })))
  try {
    const { result } = await storage.change(async (change) => {
      await requirePerson(change, person)
      await change.placePhotos(person, staged.photos)
      return { model: change.model, result: await requirePerson(change, person) }
    })
    const stored = staged.photos.map((photo, index) => ({ name: photo.name, url: photoUrl(person, photo.name), hash: photo.hash, framing: photos[index]!.framing }))
    return { stored, person: result }
  } finally {
    await staged.discard()
  }
}

/**
 * Gives a photo to another person: the photo and its descriptor (or rejection) move together, based
 * on the model at `generation`; flags are judged again for both people.
 */
export async function movePhoto(storage: Storage, from: string, photo: string, to: string, generation: number): Promise<MovePhotoResponse> {
  if (from === to) throw new HttpError(400, 'same_person', `The photo is already ${from}'s`)
  const { result } = await storage.change(async (change) => {
    assertGeneration(change.model, generation)
    assertPhoto(await requirePerson(change, from), photo)
    const target = await requirePerson(change, to)
    // Names are unique by time and chance; within the change no other writer can take this one meanwhile.
    if (target.photos.some((stored) => stored.name === photo)) throw new HttpError(409, 'photo_exists', `${to} already has a photo "${photo}"`)
    await change.movePhoto(from, to, photo)
    return {
      model: flagLookAlikes(withPhotoMoved(change.model, from, to, photo), [from, to]),
      result: { from: await requirePerson(change, from), to: await requirePerson(change, to) },
    }
  })
  return result
}

/**
 * Puts a new, already-normalized photo in the place of one: it is stored under a new name, and the old
 * photo and its descriptor go, in one change. The new photo is trained as an upload is.
 */
export async function replacePhoto(storage: Storage, person: string, photo: string, prepared: PreparedPhoto): Promise<{ stored: StoredPhoto; person: Person }> {
  const staged = await storage.stagePhotos([{ name: newPhotoName(prepared.uploadedAs), bytes: prepared.bytes }])
  try {
    const { result } = await storage.change(async (change) => {
      assertPhoto(await requirePerson(change, person), photo)
      await change.deletePhoto(person, photo)
      await change.placePhotos(person, staged.photos)
      return { model: flagLookAlikes(withoutPhotos(change.model, person, [photo]), [person]), result: await requirePerson(change, person) }
    })
    const [added] = staged.photos
    return { stored: { name: added!.name, url: photoUrl(person, added!.name), hash: added!.hash, framing: prepared.framing }, person: result }
  } finally {
    await staged.discard()
  }
}

/** Removes a photo and its descriptor or rejection together. */
export async function deletePhoto(storage: Storage, person: string, photo: string): Promise<void> {
  await storage.change(async (change) => {
    assertPhoto(await requirePerson(change, person), photo)
    await change.deletePhoto(person, photo)
    // A photo of someone else's flagged for looking like this one is judged again without it.
    return { model: flagLookAlikes(withoutPhotos(change.model, person, [photo]), [person]), result: undefined }
  })
}
