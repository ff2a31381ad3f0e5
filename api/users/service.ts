// The rules for who is registered: names are unique (in their folded form), a person must exist to be
// renamed or deleted, and every change runs under the face model's lock with their descriptors.
// The folders themselves are in folders.ts.
import { renamedPerson, withoutPerson } from '../../shared/face/model.js'
import { nameKey } from '../../shared/people/names.js'
import { HttpError } from '../errors.js'
import { faceModel } from '../faces/store.js'
import { makePersonFolder, movePersonFolder, personNames, readPerson, trashPersonFolder, type TrashedFolder } from './folders.js'
import type { Person } from './schema.js'

/** The person registered under exactly this name, or a 404. */
export async function requirePerson(dataDir: string, name: string): Promise<Person> {
  const names = await personNames(dataDir)
  if (!names.includes(name)) throw new HttpError(404, 'person_not_found', `Nobody is registered as "${name}"`)
  return readPerson(dataDir, name)
}

async function assertNameFree(dataDir: string, name: string, except?: string): Promise<void> {
  const taken = (await personNames(dataDir)).find((other) => other !== except && nameKey(other) === nameKey(name))
  if (taken) throw new HttpError(409, 'name_taken', `"${taken}" is already registered`)
}

/*
 * Every change to who is registered runs under the face model's lock, which every process on the
 * data folder respects: the checks (is the person there, is the name free) and the acts (folders
 * made or moved, their descriptors written) are one critical section, so no two requests can
 * both pass a check, and no descriptor outlives or misses its person's folder.
 */

export async function createPerson(dataDir: string, name: string): Promise<Person> {
  await faceModel(dataDir).update(async (model) => {
    await assertNameFree(dataDir, name)
    // Something that is not a person's folder (a file) may have the name.
    if (!(await makePersonFolder(dataDir, name))) throw new HttpError(409, 'name_taken', `"${name}" is already registered`)
    return model
  })
  return { name, photoCount: 0, photos: [] }
}

export async function renamePerson(dataDir: string, from: string, to: string): Promise<Person> {
  let moved = false
  let renamed!: Person
  try {
    await faceModel(dataDir).update(async (model) => {
      renamed = await requirePerson(dataDir, from)
      if (from === to) return model
      await assertNameFree(dataDir, to, from)
      await movePersonFolder(dataDir, from, to)
      moved = true
      renamed = await readPerson(dataDir, to)
      return renamedPerson(model, from, to)
    })
  } catch (err) {
    // The folder moved but its descriptors could not follow (a full disk): it goes back.
    if (moved) await movePersonFolder(dataDir, to, from).catch(() => {})
    throw err
  }
  return renamed
}

/**
 * Moves the person's folder out of sight in one rename and removes their descriptors from the
 * face model in the same critical section, then removes the folder: a person is either listed
 * with all their photos and descriptors, or gone with both.
 */
export async function deletePerson(dataDir: string, name: string): Promise<void> {
  let trashed: TrashedFolder | undefined
  try {
    await faceModel(dataDir).update(async (model) => {
      await requirePerson(dataDir, name)
      trashed = await trashPersonFolder(dataDir, name)
      return withoutPerson(model, name)
    })
  } catch (err) {
    // Their descriptors could not be removed (a full disk): the person stays whole.
    await trashed?.restore().catch(() => {})
    throw err
  }
  await trashed?.remove()
}
