// The PostgreSQL backend of the storage port, for several hosts on one database: people, their photos'
// bytes and the face model in tables (migrations/). A change is one transaction that first locks the
// model's one row, so changes are serialized across every process and host, and all a change did
// commits with its model or rolls back with it. Commits of a new model are announced with NOTIFY.
import type pg from 'pg'
import { FaceModelSchema, type FaceModel } from '../../../shared/face/model.js'
import { storedPhotoName } from '../../../shared/photos/names.js'
import type { PhotoHash } from '../../faces/schema.js'
import { log } from '../../logging.js'
import type { Person } from '../../people/schema.js'
import { sha256 } from '../files.js'
import { nextModel } from '../model-file.js'
import { personWithPhotos, sortPeople } from '../people-folders.js'
import type { Change, PhotoToStage, Staged, StagedPhoto, Storage } from '../port.js'
import { removeAbandonedUploads } from '../uploads.js'
import { openDatabase, type Database, type Queryable } from './pool.js'

/** The channel a committed model change is announced on, with its generation. */
export const modelChannel = 'facer_model'

interface Header {
  version: number
  generation: number
  updatedAt: string
}

/** A model entry's row: its id, where it stands in the model's list of people, and its JSON text. */
interface EntryRow {
  id: number
  position: number
  text: string
}

/** The model as last read or written by this process, with its rows: reused while the generation is the same. */
interface LoadedModel {
  header: Header
  model: FaceModel
  rows: EntryRow[]
}

const sameHeader = (a: Header, b: Header) => a.generation === b.generation && a.updatedAt === b.updatedAt

async function readHeader(db: Queryable, forUpdate: boolean): Promise<Header> {
  const { rows } = await db.query<{ version: number; generation: string; updated_at: string }>(
    `SELECT version, generation, updated_at FROM face_model WHERE id = 1${forUpdate ? ' FOR UPDATE' : ''}`,
  )
  const [row] = rows
  if (!row) throw new Error('The face_model table has lost its row')
  return { version: row.version, generation: Number(row.generation), updatedAt: row.updated_at }
}

async function readEntries(db: Queryable): Promise<EntryRow[]> {
  const { rows } = await db.query<{ id: string; position: number; text: string }>('SELECT id, position, entry::text AS text FROM model_entries ORDER BY position')
  return rows.map((row) => ({ id: Number(row.id), position: row.position, text: row.text }))
}

function modelOf(header: Header, rows: EntryRow[]): FaceModel {
  return FaceModelSchema.parse({ ...header, people: rows.map((row) => JSON.parse(row.text) as unknown) })
}

/**
 * Writes `next` over the model held in `loaded`: an entry whose text is unchanged keeps its row (and
 * only moves if its place in the list did), every other entry gets a new row, and rows left over go.
 */
async function writeModel(db: Queryable, loaded: LoadedModel, next: FaceModel): Promise<LoadedModel> {
  const unused = new Map<string, EntryRow[]>()
  for (const row of loaded.rows) unused.set(row.text, [...(unused.get(row.text) ?? []), row])
  const kept: EntryRow[] = []
  const added: { position: number; text: string }[] = []
  next.people.forEach((person, position) => {
    const text = JSON.stringify(person)
    const row = unused.get(text)?.shift()
    if (row) kept.push({ ...row, position })
    else added.push({ position, text })
  })
  const gone = [...unused.values()].flat().map((row) => row.id)
  if (gone.length) await db.query('DELETE FROM model_entries WHERE id = ANY($1::bigint[])', [gone])
  const placed = new Map(loaded.rows.map((row) => [row.id, row.position]))
  const moved = kept.filter((row) => placed.get(row.id) !== row.position)
  if (moved.length) {
    await db.query('UPDATE model_entries SET position = moved.position FROM unnest($1::bigint[], $2::integer[]) AS moved (id, position) WHERE model_entries.id = moved.id', [
      moved.map((row) => row.id),
      moved.map((row) => row.position),
    ])
  }
  const inserted = added.length
    ? (
        await db.query<{ id: string; position: number }>('INSERT INTO model_entries (position, entry) SELECT * FROM unnest($1::integer[], $2::json[]) RETURNING id, position', [
          added.map((entry) => entry.position),
          added.map((entry) => entry.text),
        ])
      ).rows
    : []
  const texts = new Map(added.map((entry) => [entry.position, entry.text]))
  const header = { version: next.version, generation: next.generation, updatedAt: next.updatedAt }
  await db.query('UPDATE face_model SET version = $1, generation = $2, updated_at = $3 WHERE id = 1', [header.version, header.generation, header.updatedAt])
  await db.query('SELECT pg_notify($1, $2)', [modelChannel, String(next.generation)])
  const rows = [...kept, ...inserted.map((row) => ({ id: Number(row.id), position: row.position, text: texts.get(row.position)! }))]
  return { header, model: next, rows: rows.sort((a, b) => a.position - b.position) }
}

async function findPerson(db: Queryable, name: string): Promise<Person | undefined> {
  const { rows } = await db.query<{ photo: string | null }>('SELECT photos.name AS photo FROM people LEFT JOIN photos ON photos.person = people.name WHERE people.name = $1', [name])
  if (!rows.length) return undefined
  return personWithPhotos(name, rows.flatMap((row) => (row.photo === null ? [] : [row.photo])))
}

/** One change's acts, all on the transaction's connection. */
class TableChange implements Change {
  constructor(
    private readonly db: Queryable,
    private readonly staged: Map<string, { bytes: Buffer; hash: string }>,
    readonly model: FaceModel,
  ) {}

  async names(): Promise<string[]> {
    return (await this.db.query<{ name: string }>('SELECT name FROM people')).rows.map((row) => row.name)
  }

  person(name: string): Promise<Person | undefined> {
    return findPerson(this.db, name)
  }

  async createPerson(name: string): Promise<boolean> {
    const { rowCount } = await this.db.query('INSERT INTO people (name) VALUES ($1) ON CONFLICT DO NOTHING', [name])
    return rowCount === 1
  }

  async renamePerson(from: string, to: string): Promise<void> {
    await this.expectOne(this.db.query('UPDATE people SET name = $2 WHERE name = $1', [from, to]), `nobody is registered as "${from}"`)
  }

  async deletePerson(name: string): Promise<void> {
    // Their photos go with them (ON DELETE CASCADE); their model entry goes with the model the change returns.
    await this.expectOne(this.db.query('DELETE FROM people WHERE name = $1', [name]), `nobody is registered as "${name}"`)
  }

  async placePhotos(person: string, photos: readonly StagedPhoto[]): Promise<void> {
    for (const photo of photos) {
      const staged = this.staged.get(photo.name)
      if (!staged) throw new Error(`The photo ${photo.name} was not staged, or was placed already`)
      await this.db.query('INSERT INTO photos (person, name, bytes, sha256) VALUES ($1, $2, $3, $4)', [person, photo.name, staged.bytes, staged.hash])
    }
    // Only once the transaction commits are they placed for good: a rolled-back change leaves them staged, for discard.
  }

  async deletePhoto(person: string, photo: string): Promise<void> {
    await this.expectOne(this.db.query('DELETE FROM photos WHERE person = $1 AND name = $2', [person, photo]), `${person} has no photo "${photo}"`)
  }

  async movePhoto(from: string, to: string, photo: string): Promise<void> {
    await this.expectOne(this.db.query('UPDATE photos SET person = $2 WHERE person = $1 AND name = $3', [from, to, photo]), `${from} has no photo "${photo}"`)
  }

  private async expectOne(query: Promise<pg.QueryResult>, problem: string): Promise<void> {
    if ((await query).rowCount !== 1) throw new Error(`The change expected a row that is not there: ${problem}`)
  }
}

export class PostgresStorage implements Storage {
  /** Photos staged in this process and not yet placed or discarded, by name. */
  private readonly staged = new Map<string, { bytes: Buffer; hash: string }>()
  private loaded: LoadedModel | undefined
  private readonly listeners = new Set<(generation: number) => void>()
  private listening: pg.PoolClient | undefined
  /** The sweep under way, if any: close waits for it. */
  private sweeping: Promise<unknown> = Promise.resolve()

  /** `uploadsDir`: the data folder whose uploads folder receives this host's uploads (see uploads.ts), swept at start. */
  constructor(
    readonly db: Database,
    private readonly uploadsDir?: string,
  ) {}

  async listPeople(): Promise<Person[]> {
    const { rows } = await this.db.query<{ person: string; photo: string | null }>(
      'SELECT people.name AS person, photos.name AS photo FROM people LEFT JOIN photos ON photos.person = people.name',
    )
    const photos = new Map<string, string[]>()
    for (const row of rows) {
      const list = photos.get(row.person) ?? []
      if (row.photo !== null) list.push(row.photo)
      photos.set(row.person, list)
    }
    return sortPeople([...photos].map(([name, names]) => personWithPhotos(name, names)))
  }

  person(name: string): Promise<Person | undefined> {
    return findPerson(this.db, name)
  }

  async readModel(): Promise<FaceModel> {
    const header = await readHeader(this.db, false)
    if (this.loaded && sameHeader(this.loaded.header, header)) return this.loaded.model
    // The header and the entries of one commit: a change committing in between is not half seen.
    return this.db.transaction(async (client) => (await this.load(client, await readHeader(client, false))).model, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
  }

  async photoHashes(): Promise<PhotoHash[]> {
    const { rows } = await this.db.query<PhotoHash>('SELECT person, name AS photo, sha256 AS hash FROM photos ORDER BY person, name')
    return rows
  }

  async readPhoto(person: string, photo: string): Promise<Buffer | undefined> {
    if (!storedPhotoName.test(photo)) return undefined
    const { rows } = await this.db.query<{ bytes: Buffer }>('SELECT bytes FROM photos WHERE person = $1 AND name = $2', [person, photo])
    return rows[0]?.bytes
  }

  async stagePhotos(photos: readonly PhotoToStage[]): Promise<Staged> {
    for (const photo of photos) {
      if (this.staged.has(photo.name)) throw new Error(`A photo named ${photo.name} is staged already`)
    }
    for (const photo of photos) this.staged.set(photo.name, { bytes: photo.bytes, hash: sha256(photo.bytes) })
    const names = photos.map((photo) => photo.name)
    return {
      photos: names.map((name) => ({ name, hash: this.staged.get(name)!.hash })),
      discard: async () => {
        for (const name of names) this.staged.delete(name)
      },
    }
  }

  async change<T>(work: (change: Change) => Promise<{ model: FaceModel; result: T }>): Promise<{ model: FaceModel; result: T }> {
    const { written, model, result } = await this.db.transaction(async (client) => {
      const loaded = await this.load(client, await readHeader(client, true))
      const done = await work(new TableChange(client, this.staged, loaded.model))
      if (done.model === loaded.model) return { written: undefined, model: loaded.model, result: done.result }
      const written = await writeModel(client, loaded, nextModel(loaded.model, done.model))
      return { written, model: written.model, result: done.result }
    })
    if (written) this.loaded = written
    return { model, result }
  }

  /** Fills this database, which must hold nobody and no model yet, with everything `source` holds, in one transaction. */
  async fill(source: Storage): Promise<void> {
    await this.db.transaction(async (client) => {
      const header = await readHeader(client, true)
      const { rowCount } = await client.query('SELECT 1 FROM people LIMIT 1')
      if (rowCount || header.generation > 0) throw new Error('The database holds people or a face model already: copy into an empty one')
      const model = await source.readModel()
      for (const person of await source.listPeople()) {
        await client.query('INSERT INTO people (name) VALUES ($1)', [person.name])
        for (const photo of person.photos) {
          const bytes = await source.readPhoto(person.name, photo.name)
          if (bytes) await client.query('INSERT INTO photos (person, name, bytes, sha256) VALUES ($1, $2, $3, $4)', [person.name, photo.name, bytes, sha256(bytes)])
        }
      }
      const empty = { header, model: { ...model, people: [] }, rows: [] }
      if (model.generation > 0 || model.people.length) await writeModel(client, empty, model)
    })
    this.loaded = undefined
  }

  watchModel(listener: (generation: number) => void): () => void {
    this.listeners.add(listener)
    if (this.listeners.size === 1) this.listen()
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0) this.unlisten()
    }
  }

  sweep(): Promise<{ what: string; count: number }[]> {
    const sweeping = this.sweepOnce()
    this.sweeping = sweeping.catch(() => {})
    return sweeping
  }

  private async sweepOnce(): Promise<{ what: string; count: number }[]> {
    const now = Date.now()
    // The uploads folder first, as the files backend's sweep makes it: at once, not after the database's answers.
    const [uploads, sessions, windows] = await Promise.all([
      this.uploadsDir ? removeAbandonedUploads(this.uploadsDir) : 0,
      this.db.query('DELETE FROM signed_out_sessions WHERE expires_at <= $1', [now]),
      this.db.query('DELETE FROM rate_limit_windows WHERE reset_at <= $1', [now]),
    ])
    return [
      { what: 'signed-out sessions past their expiry', count: sessions.rowCount ?? 0 },
      { what: 'ended rate-limit windows', count: windows.rowCount ?? 0 },
      { what: 'files left by interrupted uploads', count: uploads },
    ]
  }

  /** Closes the pool: for scripts and tests, once they are done with the storage. */
  async close(): Promise<void> {
    this.listeners.clear()
    this.unlisten()
    // The sweep each app starts with, not awaited by anyone: it ends before the pool does.
    await this.sweeping
    await this.db.end()
  }

  /** The model at `header`: the one this process holds when it is the same, else read from the tables. */
  private async load(db: Queryable, header: Header): Promise<LoadedModel> {
    if (this.loaded && sameHeader(this.loaded.header, header)) return this.loaded
    const rows = await readEntries(db)
    const loaded = { header, model: modelOf(header, rows), rows }
    this.loaded = loaded
    return loaded
  }

  /** One connection LISTENs while anyone watches; one that breaks is replaced, and the listeners told the generation then. */
  private listen(reconnected = false): void {
    const connect = async () => {
      const client = await (await this.db.pool()).connect()
      if (this.listeners.size === 0) return client.release()
      this.listening = client
      client.on('notification', (message) => {
        if (message.channel === modelChannel) this.notify(Number(message.payload))
      })
      client.on('error', (err) => {
        log('warn', 'lost the connection that listens for model changes; listening again', { error: String(err) })
        if (this.listening === client) this.listening = undefined
        client.release(true)
        if (this.listeners.size) this.listen(true)
      })
      await client.query(`LISTEN ${modelChannel}`)
      // What changed while no connection listened is told now.
      if (reconnected) this.notify((await readHeader(client, false)).generation)
    }
    connect().catch((err: unknown) => {
      log('warn', 'could not listen for model changes', { error: String(err) })
    })
  }

  private unlisten(): void {
    const client = this.listening
    this.listening = undefined
    client?.release(true)
  }

  private notify(generation: number): void {
    for (const listener of this.listeners) listener(generation)
  }
}

export function postgresStorage(url: string): PostgresStorage {
  return new PostgresStorage(openDatabase(url))
}
