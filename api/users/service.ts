import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rename, rm } from 'node:fs/promises'
import { renamedPerson, withoutPerson } from '../../shared/face/model.js'
import { flagLookAlikes } from '../../shared/face/training.js'
import { HttpError } from '../errors.js'
import { faceModel } from '../faces/store.js'
import { resolveInside } from '../safe-path.js'
import { nameKey } from './names.js'
import type { Person } from './schema.js'

/** Stored photos are JPEGs with plain names; anything else in a person's folder is ignored. */
export const storedPhotoName = /^[\w-]{1,80}\.jpg$/

export function usersDir(dataDir: string): string {
  return resolveInside(dataDir, 'users')
}

export function personDir(dataDir: string, name: string): string {
  return resolveInside(usersDir(dataDir), name)
}

export function photoUrl(person: string, photo: string): string {
  return `/data/users/${encodeURIComponent(person)}/${encodeURIComponent(photo)}`
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT'
}

async function readDirents(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true })
  } catch (err) {
    if (isMissing(err)) return []
    throw err
  }
}

async function personNames(dataDir: string): Promise<string[]> {
  const entries = await readDirents(usersDir(dataDir))
  return entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name)
}

async function readPerson(dataDir: string, name: string): Promise<Person> {
  const files = await readDirents(personDir(dataDir, name))
  const photos = files
    .filter((file) => file.isFile() && storedPhotoName.test(file.name))
    .map((file) => file.name)
    .sort()
    .map((photo) => ({ name: photo, url: photoUrl(name, photo) }))
  return { name, photoCount: photos.length, photos }
}

/** Everyone registered, sorted by name, each with their photos. */
export async function listPeople(dataDir: string): Promise<Person[]> {
  const people = await Promise.all((await personNames(dataDir)).map((name) => readPerson(dataDir, name)))
  return people.sort((a, b) => a.name.localeCompare(b.name))
}

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
    await mkdir(usersDir(dataDir), { recursive: true })
    try {
      await mkdir(personDir(dataDir, name))
    } catch (err) {
      // Something that is not a person's folder (a file) has the name.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new HttpError(409, 'name_taken', `"${name}" is already registered`)
      throw err
    }
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
      await rename(personDir(dataDir, from), personDir(dataDir, to))
      moved = true
      renamed = await readPerson(dataDir, to)
      // Flags naming them as someone's look-alike are judged again under the new name.
      return flagLookAlikes(renamedPerson(model, from, to), [])
    })
  } catch (err) {
    // The folder moved but its descriptors could not follow (a full disk): it goes back.
    if (moved) await rename(personDir(dataDir, to), personDir(dataDir, from)).catch(() => {})
    throw err
  }
  return renamed
}

// Where deletePerson moves a person's folder before removing it. No person's name starts with a dot.
const deletionTrash = /^\.deleted-[0-9a-f]{12}$/
const newTrashName = () => `.deleted-${randomBytes(6).toString('hex')}`

/**
 * Moves the person's folder out of sight in one rename and removes their descriptors from the
 * face model in the same critical section, then removes the folder: a person is either listed
 * with all their photos and descriptors, or gone with both.
 */
export async function deletePerson(dataDir: string, name: string): Promise<void> {
  const trash = resolveInside(usersDir(dataDir), newTrashName())
  let moved = false
  try {
    await faceModel(dataDir).update(async (model) => {
      await requirePerson(dataDir, name)
      await rename(personDir(dataDir, name), trash)
      moved = true
      // A photo flagged for looking like one of theirs is judged again without them.
      return flagLookAlikes(withoutPerson(model, name), [])
    })
  } catch (err) {
    // Their descriptors could not be removed (a full disk): the person stays whole.
    if (moved) await rename(trash, personDir(dataDir, name)).catch(() => {})
    throw err
  }
  await rm(trash, { recursive: true, force: true })
}

/**
 * Removes the folders that deletions interrupted between their rename and their removal left
 * (`kill -9`, a power cut), and returns how many it found. Safe while other processes on the
 * same data folder do the same or finish a deletion: removing what is already gone is no error.
 */
export async function removeDeletionLeftovers(dataDir: string): Promise<number> {
  const trash = (await readDirents(usersDir(dataDir))).filter((entry) => entry.isDirectory() && deletionTrash.test(entry.name))
  for (const entry of trash) await rm(resolveInside(usersDir(dataDir), entry.name), { recursive: true, force: true })
  return trash.length
}
