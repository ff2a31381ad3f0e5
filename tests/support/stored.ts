// What the API started on a data folder has stored, whichever backend keeps it (see databaseOf): the
// same assertion holds on the files and on PostgreSQL. On the files backend these read the files
// themselves, byte for byte; on PostgreSQL, the database through the Storage port, and the files the
// data folder still holds (the uploads' temp files).
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import type { FaceModel } from '../../shared/face/model.js'
import { openBackend } from '../../api/storage/backend.js'
import type { Storage } from '../../api/storage/port.js'
import { databaseOf } from './api.js'
import { listFiles, snapshotDir } from './data.js'
import { modelFileOf, readModelFile } from './faces.js'

/** The storage of the database the API on `dataDir` serves; undefined on the files backend. */
async function withDatabase<T>(dataDir: string, work: (storage: Storage) => Promise<T>): Promise<T | undefined> {
  const databaseUrl = databaseOf(dataDir)
  if (!databaseUrl) return undefined
  const backend = openBackend({ dataDir, databaseUrl })
  try {
    return await work(backend.storage)
  } finally {
    await backend.close()
  }
}

/** The names registered, sorted: on the files backend everything in DATA_DIR/users (a stray entry is seen too). */
export async function storedPeople(dataDir: string): Promise<string[]> {
  const names = await withDatabase(dataDir, async (storage) => (await storage.listPeople()).map((person) => person.name))
  return (names ?? (await readdir(path.join(dataDir, 'users')))).sort()
}

/**
 * Every stored file as a sorted path relative to the data folder: on PostgreSQL, each photo in the
 * database as `users/<person>/<photo>`, beside the files in the folder.
 */
export async function storedFiles(dataDir: string): Promise<string[]> {
  const photos = await withDatabase(dataDir, async (storage) =>
    (await storage.listPeople()).flatMap((person) => person.photos.map((photo) => path.join('users', person.name, photo.name))),
  )
  return [...(photos ?? []), ...(await listFiles(dataDir))].sort()
}

/** A stored photo's bytes; throws when there is no such photo. */
export async function storedPhoto(dataDir: string, person: string, photo: string): Promise<Buffer> {
  const bytes = await withDatabase(dataDir, (storage) => storage.readPhoto(person, photo))
  if (bytes) return bytes
  if (databaseOf(dataDir)) throw new Error(`No photo ${person}/${photo} in the database`)
  return readFile(path.join(dataDir, 'users', person, photo))
}

/** The stored face model, checked against the schema: faces.json (throws when it is missing or damaged), or the database's. */
export async function storedModel(dataDir: string): Promise<FaceModel> {
  return (await withDatabase(dataDir, (storage) => storage.readModel())) ?? readModelFile(dataDir)
}

/** The stored face model as text: faces.json byte for byte, or the database's model as JSON. Equal texts: nothing was written. */
export async function storedModelText(dataDir: string): Promise<string> {
  return (await withDatabase(dataDir, async (storage) => JSON.stringify(await storage.readModel()))) ?? readFile(modelFileOf(dataDir), 'utf8')
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')

/** The failed sign-ins counted in the database, as text: what DATA_DIR/.auth/failed-sign-ins.json holds on the files backend. */
async function failedSignIns(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query("SELECT client, count, reset_at FROM rate_limit_windows WHERE scope = 'failed-sign-ins' ORDER BY client")
    return JSON.stringify(rows)
  } finally {
    await client.end()
  }
}

/**
 * Every file and folder under the data folder with a hash of each file's bytes (see snapshotDir);
 * on PostgreSQL beside them, under the names the files backend keeps them by, each photo
 * (`users/<person>/<photo>`), the model (`faces.json`) and the failed sign-ins counted
 * (`.auth/failed-sign-ins.json`). Equal snapshots: nothing stored changed.
 */
export async function storedSnapshot(dataDir: string): Promise<Record<string, string>> {
  const files = await snapshotDir(dataDir)
  const databaseUrl = databaseOf(dataDir)
  if (!databaseUrl) return files
  const stored = await withDatabase(dataDir, async (storage) => {
    const state: Record<string, string> = { 'faces.json': sha256(JSON.stringify(await storage.readModel())) }
    for (const person of await storage.listPeople()) {
      for (const photo of person.photos) state[path.join('users', person.name, photo.name)] = sha256((await storage.readPhoto(person.name, photo.name)) ?? '')
    }
    return state
  })
  return { ...files, ...stored, [path.join('.auth', 'failed-sign-ins.json')]: sha256(await failedSignIns(databaseUrl)) }
}
