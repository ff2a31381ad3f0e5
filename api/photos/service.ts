import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import path from 'node:path'
import { withoutPhotos, withPhotoMoved } from '../../shared/face/model.js'
import { flagLookAlikes } from '../../shared/face/training.js'
import { HttpError } from '../errors.js'
import { assertGeneration } from '../faces/service.js'
import { faceModel } from '../faces/store.js'
import { resolveInside } from '../safe-path.js'
import type { Person } from '../users/schema.js'
import { personDir, photoUrl, requirePerson, storedPhotoName } from '../users/service.js'
import type { StoredPhoto } from './schema.js'

let lastStamp = 0

function newPhotoName(): string {
  // Time first, strictly increasing, so that names sort in the order photos were added.
  lastStamp = Math.max(Date.now(), lastStamp + 1)
  return `${lastStamp.toString(36)}-${randomBytes(4).toString('hex')}.jpg`
}

const uploadsPath = (dataDir: string) => resolveInside(dataDir, '.uploads')

/**
 * DATA_DIR/.uploads, made if missing: files received, and photos on their way into or out of a
 * person's folder. On the same disk as those folders, so that one rename puts a photo in place.
 */
export async function uploadsFolder(dataDir: string): Promise<string> {
  const folder = uploadsPath(dataDir)
  await mkdir(folder, { recursive: true })
  return folder
}

// A temp file is named after the process writing it: `.upload-<host>-<pid>-<label>`.
const thisHost = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
const uploadTemp = /^\.upload-([0-9a-f]{8})-(\d+)-/
// No upload takes this long: a temp file this old was left by a writer on another machine that died.
const abandonedAfterMs = 10 * 60_000

/** The name of a temp file of this process in the uploads folder. */
export function uploadTempName(label = randomBytes(8).toString('hex')): string {
  return `.upload-${thisHost}-${process.pid}-${label}`
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes the temp files that processes killed mid-upload left in the uploads folder (`kill -9`,
 * a power cut): those of a process of this machine that is gone, and any old one; returns how
 * many. Safe while other processes on the same data folder upload: theirs are kept. Makes the
 * folder where the data folder exists; a missing data folder is left for the first write to make.
 */
export async function removeAbandonedUploads(dataDir: string, now = Date.now()): Promise<number> {
  const folder = uploadsPath(dataDir)
  try {
    await mkdir(folder)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return 0
    if (code !== 'EEXIST') throw err
  }
  let removed = 0
  for (const name of await readdir(folder)) {
    const match = uploadTemp.exec(name)
    if (!match) continue
    const file = path.join(folder, name)
    const writerGone = match[1] === thisHost && Number(match[2]) !== process.pid && !isRunning(Number(match[2]))
    const old = await stat(file).then((info) => now - info.mtimeMs > abandonedAfterMs, () => false)
    if (writerGone || old) {
      await rm(file, { force: true })
      removed++
    }
  }
  return removed
}

/** Removing may fail as the write did (a read-only disk): the write's error is the one to report. */
export async function removeQuietly(file: string): Promise<void> {
  await rm(file, { force: true }).catch(() => {})
}

/**
 * Stores already-normalised photos for a person: each is written to a temp file, then all are
 * renamed into the person's folder under the face model's lock, once it is certain they are
 * registered (see api/users/service.ts). On any failure every file this call wrote is removed.
 * Answers with the photos and the person as they are then.
 */
export async function storePhotos(dataDir: string, person: string, photos: Buffer[]): Promise<{ stored: StoredPhoto[]; person: Person }> {
  await removeAbandonedUploads(dataDir)
  const folder = await uploadsFolder(dataDir)
  const planned = photos.map((bytes) => {
    const name = newPhotoName()
    return { bytes, name, temp: path.join(folder, uploadTempName(name)) }
  })
  let registered!: Person
  try {
    for (const photo of planned) await writeFile(photo.temp, photo.bytes, { flag: 'wx' })
    await faceModel(dataDir).update(async (model) => {
      await requirePerson(dataDir, person)
      const placed: string[] = []
      try {
        for (const photo of planned) {
          const final = resolveInside(personDir(dataDir, person), photo.name)
          await rename(photo.temp, final)
          placed.push(final)
        }
      } catch (err) {
        await Promise.all(placed.map(removeQuietly))
        throw err
      }
      registered = await requirePerson(dataDir, person)
      return model
    })
  } finally {
    await Promise.all(planned.map((photo) => removeQuietly(photo.temp)))
  }
  const stored = planned.map((photo) => ({
    name: photo.name,
    url: photoUrl(person, photo.name),
    hash: createHash('sha256').update(photo.bytes).digest('hex'),
  }))
  return { stored, person: registered }
}

function assertPhoto(current: Person, photo: string): void {
  if (!storedPhotoName.test(photo) || !current.photos.some((stored) => stored.name === photo)) {
    throw new HttpError(404, 'photo_not_found', `${current.name} has no photo "${photo}"`)
  }
}

/**
 * Gives a photo to another person: the file moves between their folders in one rename and its
 * descriptor (or rejection) follows in the same critical section, based on the model at
 * `generation`; flags are judged again for both. Should the model not be written, the file goes back.
 */
export async function movePhoto(dataDir: string, from: string, photo: string, to: string, generation: number): Promise<{ from: Person; to: Person }> {
  if (from === to) throw new HttpError(400, 'same_person', `The photo is already ${from}'s`)
  let moved: { source: string; target: string } | undefined
  try {
    await faceModel(dataDir).update(async (model) => {
      assertGeneration(model, generation)
      assertPhoto(await requirePerson(dataDir, from), photo)
      const target = await requirePerson(dataDir, to)
      // Names are unique by time and chance; under the lock no other writer can take this one meanwhile.
      if (target.photos.some((stored) => stored.name === photo)) throw new HttpError(409, 'photo_exists', `${to} already has a photo "${photo}"`)
      const paths = { source: resolveInside(personDir(dataDir, from), photo), target: resolveInside(personDir(dataDir, to), photo) }
      await rename(paths.source, paths.target)
      moved = paths
      return flagLookAlikes(withPhotoMoved(model, from, to, photo), [from, to], model)
    })
  } catch (err) {
    if (moved) await rename(moved.target, moved.source).catch(() => {})
    throw err
  }
  return { from: await requirePerson(dataDir, from), to: await requirePerson(dataDir, to) }
}

/**
 * Puts a new, already-normalised photo in the place of one: the new file is stored under a new name,
 * the old one and its descriptor go, in one critical section. The new photo is trained as an upload is.
 */
export async function replacePhoto(dataDir: string, person: string, photo: string, bytes: Buffer): Promise<{ stored: StoredPhoto; person: Person }> {
  const folder = await uploadsFolder(dataDir)
  const name = newPhotoName()
  const temp = path.join(folder, uploadTempName(name))
  const trash = path.join(folder, uploadTempName(`replaced-${randomBytes(6).toString('hex')}`))
  let old: string | undefined
  let placed: string | undefined
  let registered!: Person
  try {
    await writeFile(temp, bytes, { flag: 'wx' })
    await faceModel(dataDir).update(async (model) => {
      assertPhoto(await requirePerson(dataDir, person), photo)
      const file = resolveInside(personDir(dataDir, person), photo)
      await rename(file, trash)
      old = file
      const final = resolveInside(personDir(dataDir, person), name)
      await rename(temp, final)
      placed = final
      registered = await requirePerson(dataDir, person)
      return flagLookAlikes(withoutPhotos(model, person, [photo]), [person], model)
    })
  } catch (err) {
    if (placed) await removeQuietly(placed)
    if (old) await rename(trash, old).catch(() => {})
    throw err
  } finally {
    await removeQuietly(temp)
  }
  await rm(trash, { force: true })
  return { stored: { name, url: photoUrl(person, name), hash: createHash('sha256').update(bytes).digest('hex') }, person: registered }
}

/**
 * Removes a photo and its descriptor or rejection in one critical section. The photo is first
 * moved aside, so that it can be put back should the model not be written (a full disk).
 */
export async function deletePhoto(dataDir: string, person: string, photo: string): Promise<void> {
  const trash = path.join(await uploadsFolder(dataDir), uploadTempName(`deleted-${randomBytes(6).toString('hex')}`))
  let moved: string | undefined
  try {
    await faceModel(dataDir).update(async (model) => {
      assertPhoto(await requirePerson(dataDir, person), photo)
      const file = resolveInside(personDir(dataDir, person), photo)
      await rename(file, trash)
      moved = file
      // A photo of someone else's flagged for looking like this one is judged again without it.
      return flagLookAlikes(withoutPhotos(model, person, [photo]), [person], model)
    })
  } catch (err) {
    if (moved) await rename(trash, moved).catch(() => {})
    throw err
  }
  await rm(trash, { force: true })
}
