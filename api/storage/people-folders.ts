// People on disk: a folder per person under DATA_DIR/users, the reference app's layout, holding their
// stored photos. Only reading and moving folders here; the rules (who may be created, renamed or deleted,
// and under which lock) are in service.ts.
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rename, rm } from 'node:fs/promises'
import { photoUrl, storedPhotoName } from '../../shared/photos/names.js'
import { resolveInside } from '../safe-path.js'
import type { Person } from '../people/schema.js'

export { storedPhotoName }

export function usersDir(dataDir: string): string {
  return resolveInside(dataDir, 'users')
}

export function personDir(dataDir: string, name: string): string {
  return resolveInside(usersDir(dataDir), name)
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

export async function personNames(dataDir: string): Promise<string[]> {
  const entries = await readDirents(usersDir(dataDir))
  return entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name)
}

/** A person as the API answers with them, from their stored photos' names in any order. */
export function personWithPhotos(name: string, photoNames: string[]): Person {
  const photos = [...photoNames].sort().map((photo) => ({ name: photo, url: photoUrl(name, photo) }))
  return { name, photoCount: photos.length, photos }
}

/** People in the order every list of them is answered in. */
export function sortPeople(people: Person[]): Person[] {
  return people.sort((a, b) => a.name.localeCompare(b.name))
}

export async function readPerson(dataDir: string, name: string): Promise<Person> {
  const files = await readDirents(personDir(dataDir, name))
  return personWithPhotos(name, files.filter((file) => file.isFile() && storedPhotoName.test(file.name)).map((file) => file.name))
}

/** The person registered under exactly this name, with their photos; undefined for nobody. */
export async function findPerson(dataDir: string, name: string): Promise<Person | undefined> {
  return (await personNames(dataDir)).includes(name) ? readPerson(dataDir, name) : undefined
}

/** Everyone registered, sorted by name, each with their photos. */
export async function listPeople(dataDir: string): Promise<Person[]> {
  return sortPeople(await Promise.all((await personNames(dataDir)).map((name) => readPerson(dataDir, name))))
}

// Where deletePerson moves a person's folder before removing it. No person's name starts with a dot.
const deletionTrash = /^\.deleted-[0-9a-f]{12}$/
const newTrashName = () => `.deleted-${randomBytes(6).toString('hex')}`

/** Makes a person's folder; false when something of that name is there already. */
export async function makePersonFolder(dataDir: string, name: string): Promise<boolean> {
  await mkdir(usersDir(dataDir), { recursive: true })
  try {
    await mkdir(personDir(dataDir, name))
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
}

/** Moves a person's folder, with their photos, to a new name in one rename. */
export async function movePersonFolder(dataDir: string, from: string, to: string): Promise<void> {
  await rename(personDir(dataDir, from), personDir(dataDir, to))
}

/** A person's folder moved out of sight: put back, or removed for good. */
export interface TrashedFolder {
  restore(): Promise<void>
  remove(): Promise<void>
}

/** Moves a person's folder out of sight in one rename (no person's name starts with a dot). */
export async function trashPersonFolder(dataDir: string, name: string): Promise<TrashedFolder> {
  const folder = personDir(dataDir, name)
  const trash = resolveInside(usersDir(dataDir), newTrashName())
  await rename(folder, trash)
  return {
    restore: () => rename(trash, folder),
    remove: () => rm(trash, { recursive: true, force: true }),
  }
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
