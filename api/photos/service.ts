import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import path from 'node:path'
import { withoutPhotos } from '../../shared/face/model.js'
import { HttpError } from '../errors.js'
import { faceModel } from '../faces/store.js'
import { resolveInside } from '../safe-path.js'
import type { Person } from '../users/schema.js'
import { personDir, photoUrl, requirePerson, storedPhotoName } from '../users/service.js'
import type { PreparedPhoto } from './image.js'
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
export async function storePhotos(dataDir: string, person: string, photos: PreparedPhoto[]): Promise<{ stored: StoredPhoto[]; person: Person }> {
  await removeAbandonedUploads(dataDir)
  const folder = await uploadsFolder(dataDir)
  const planned = photos.map(({ bytes, framing }) => {
    const name = newPhotoName()
    return { bytes, framing, name, temp: path.join(folder, uploadTempName(name)) }
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
    framing: photo.framing,
  }))
  return { stored, person: registered }
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
      const current = await requirePerson(dataDir, person)
      if (!storedPhotoName.test(photo) || !current.photos.some((stored) => stored.name === photo)) {
        throw new HttpError(404, 'photo_not_found', `${person} has no photo "${photo}"`)
      }
      const file = resolveInside(personDir(dataDir, person), photo)
      await rename(file, trash)
      moved = file
      return withoutPhotos(model, person, [photo])
    })
  } catch (err) {
    if (moved) await rename(trash, moved).catch(() => {})
    throw err
  }
  await rm(trash, { force: true })
}
