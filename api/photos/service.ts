import { createHash, randomBytes } from 'node:crypto'
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import path from 'node:path'
import { withoutPhotos } from '../../shared/face/model.js'
import { HttpError } from '../errors.js'
import { faceModel } from '../faces/store.js'
import { resolveInside } from '../safe-path.js'
import { personDir, photoUrl, requirePerson, storedPhotoName } from '../users/service.js'
import type { StoredPhoto } from './schema.js'

let lastStamp = 0

function newPhotoName(): string {
  // Time first, strictly increasing, so that names sort in the order photos were added.
  lastStamp = Math.max(Date.now(), lastStamp + 1)
  return `${lastStamp.toString(36)}-${randomBytes(4).toString('hex')}.jpg`
}

// A temp file is named after the process writing it: `.upload-<host>-<pid>-<photo>`.
const thisHost = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
const uploadTemp = /^\.upload-([0-9a-f]{8})-(\d+)-/
// No write takes this long: a temp file this old was left by a writer on another machine that died.
const abandonedAfterMs = 10 * 60_000

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes temp files that a process killed between writing and renaming them left in a person's
 * folder (`kill -9`, a power cut): those of a process of this machine that is gone, and any old one.
 */
async function removeAbandonedUploads(folder: string, now = Date.now()): Promise<void> {
  const names = await readdir(folder).catch(() => [])
  for (const name of names) {
    const match = uploadTemp.exec(name)
    if (!match) continue
    const file = path.join(folder, name)
    const writerGone = match[1] === thisHost && Number(match[2]) !== process.pid && !isRunning(Number(match[2]))
    const old = await stat(file).then((info) => now - info.mtimeMs > abandonedAfterMs, () => false)
    if (writerGone || old) await rm(file, { force: true })
  }
}

/**
 * Writes already-normalised photos for a person: each to a hidden temp file first, then
 * renamed into place. On any failure every file this call wrote is removed again.
 */
export async function storePhotos(dataDir: string, person: string, photos: Buffer[]): Promise<StoredPhoto[]> {
  await requirePerson(dataDir, person)
  const folder = personDir(dataDir, person)
  await removeAbandonedUploads(folder)
  const planned = photos.map((bytes) => {
    const name = newPhotoName()
    return {
      bytes,
      name,
      temp: resolveInside(folder, `.upload-${thisHost}-${process.pid}-${name}`),
      final: resolveInside(folder, name),
    }
  })
  try {
    for (const photo of planned) await writeFile(photo.temp, photo.bytes, { flag: 'wx' })
    for (const photo of planned) await rename(photo.temp, photo.final)
  } catch (err) {
    // Removing may fail as the write did (a read-only disk): the write's error is the one to report.
    const remove = (file: string) => rm(file, { force: true }).catch(() => {})
    await Promise.all(planned.flatMap((photo) => [remove(photo.temp), remove(photo.final)]))
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new HttpError(404, 'person_not_found', `Nobody is registered as "${person}"`)
    }
    throw err
  }
  return planned.map((photo) => ({
    name: photo.name,
    url: photoUrl(person, photo.name),
    hash: createHash('sha256').update(photo.bytes).digest('hex'),
  }))
}

export async function deletePhoto(dataDir: string, person: string, photo: string): Promise<void> {
  const current = await requirePerson(dataDir, person)
  if (!storedPhotoName.test(photo) || !current.photos.some((stored) => stored.name === photo)) {
    throw new HttpError(404, 'photo_not_found', `${person} has no photo "${photo}"`)
  }
  await faceModel(dataDir).update((model) => withoutPhotos(model, person, [photo]))
  await rm(resolveInside(personDir(dataDir, person), photo))
}
