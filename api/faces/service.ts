import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { listPeople, personDir } from '../users/service.js'
import type { PhotoHash } from './schema.js'

const hashCache = new Map<string, { key: string; hash: string }>()

async function photoHash(file: string): Promise<string> {
  const info = await stat(file)
  const key = `${info.size}:${info.mtimeMs}`
  const cached = hashCache.get(file)
  if (cached?.key === key) return cached.hash
  const hash = createHash('sha256').update(await readFile(file)).digest('hex')
  hashCache.set(file, { key, hash })
  return hash
}

/** The content hash of every stored photo: training processes a photo again only when it changed. */
export async function listPhotoHashes(dataDir: string): Promise<PhotoHash[]> {
  const people = await listPeople(dataDir)
  const hashes = await Promise.all(
    people.flatMap((person) =>
      person.photos.map(async (photo) => ({
        person: person.name,
        photo: photo.name,
        hash: await photoHash(path.join(personDir(dataDir, person.name), photo.name)),
      })),
    ),
  )
  return hashes
}
