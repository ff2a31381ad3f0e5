import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rename, rm } from 'node:fs/promises'
import { renamedPerson, withoutPerson } from '../../shared/face/model.js'
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

export async function createPerson(dataDir: string, name: string): Promise<Person> {
  await assertNameFree(dataDir, name)
  await mkdir(usersDir(dataDir), { recursive: true })
  try {
    await mkdir(personDir(dataDir, name))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new HttpError(409, 'name_taken', `"${name}" is already registered`)
    throw err
  }
  return { name, photoCount: 0, photos: [] }
}

export async function renamePerson(dataDir: string, from: string, to: string): Promise<Person> {
  await requirePerson(dataDir, from)
  if (from === to) return readPerson(dataDir, to)
  await assertNameFree(dataDir, to, from)
  await rename(personDir(dataDir, from), personDir(dataDir, to))
  await faceModel(dataDir).update((model) => renamedPerson(model, from, to))
  return readPerson(dataDir, to)
}

// Where deletePerson moves a person's folder before removing it. No person's name starts with a dot.
const deletionTrash = /^\.deleted-[0-9a-f]{12}$/
const newTrashName = () => `.deleted-${randomBytes(6).toString('hex')}`

/**
 * Removes the person's descriptors from the face model, then moves their folder out of sight
 * in one rename and removes it: a person is either listed with all their photos or gone.
 */
export async function deletePerson(dataDir: string, name: string): Promise<void> {
  await requirePerson(dataDir, name)
  // Their descriptors go first: erasure does not wait for the next training.
  await faceModel(dataDir).update((model) => withoutPerson(model, name))
  const trash = resolveInside(usersDir(dataDir), newTrashName())
  await rename(personDir(dataDir, name), trash)
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
