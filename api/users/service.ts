import { readdir } from 'node:fs/promises'
import path from 'node:path'
import type { Person } from './schema.js'

const photoFile = /^[\w-]+\.jpg$/

export function usersDir(dataDir: string): string {
  return path.join(dataDir, 'users')
}

export function photoUrl(person: string, photo: string): string {
  return `/data/users/${encodeURIComponent(person)}/${encodeURIComponent(photo)}`
}

async function readDirents(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}

/** Everyone registered, sorted by name, each with their photos. */
export async function listPeople(dataDir: string): Promise<Person[]> {
  const entries = await readDirents(usersDir(dataDir))
  const people = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map(async (entry): Promise<Person> => {
        const files = await readDirents(path.join(usersDir(dataDir), entry.name))
        const photos = files
          .filter((file) => file.isFile() && photoFile.test(file.name))
          .map((file) => file.name)
          .sort()
          .map((photo) => ({ name: photo, url: photoUrl(entry.name, photo) }))
        return { name: entry.name, photoCount: photos.length, photos }
      }),
  )
  return people.sort((a, b) => a.name.localeCompare(b.name))
}
