// The files backend of the storage port, the embedded default: DATA_DIR/users/<name>/ holds each person's
// photos (the reference app's layout), DATA_DIR/faces.json the model. A change runs under the model file's
// lock, which every process on the data folder respects; what it did to folders is undone if the change
// fails or the model cannot be written, and what it set aside is removed once the model is.
import { createHash, randomBytes } from 'node:crypto'
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { FaceModel } from '../../shared/face/model.js'
import type { PhotoHash } from '../faces/schema.js'
import { resolveInside } from '../safe-path.js'
import type { Person } from '../people/schema.js'
import { modelFile } from './model-file.js'
import { readIfPresent } from './read-if-present.js'
import { ModelWatch } from './model-watch.js'
import {
  findPerson,
  listPeople,
  makePersonFolder,
  movePersonFolder,
  personDir,
  personNames,
  removeDeletionLeftovers,
  storedPhotoName,
  trashPersonFolder,
} from './people-folders.js'
import type { Change, PhotoToStage, Staged, StagedPhoto, Storage } from './port.js'
import { removeAbandonedUploads, removeQuietly, uploadsFolder, uploadTempName } from './uploads.js'

/** The SHA-256 of a photo's bytes, in hex: what training keys its result by. */
export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

const hashCache = new Map<string, { key: string; hash: string }>()

async function photoHash(file: string): Promise<string> {
  const info = await stat(file)
  const key = `${info.size}:${info.mtimeMs}`
  const cached = hashCache.get(file)
  if (cached?.key === key) return cached.hash
  const hash = sha256(await readFile(file))
  hashCache.set(file, { key, hash })
  return hash
}


/** One change's acts on the folders, with what undoes each (newest first) and what finishes it once the model is written. */
class FolderChange implements Change {
  private readonly undos: (() => Promise<void>)[] = []
  private readonly finishers: (() => Promise<void>)[] = []

  constructor(
    private readonly dataDir: string,
    private readonly staging: Map<string, string>,
    readonly model: FaceModel,
  ) {}

  names(): Promise<string[]> {
    return personNames(this.dataDir)
  }

  person(name: string): Promise<Person | undefined> {
    return findPerson(this.dataDir, name)
  }

  async createPerson(name: string): Promise<boolean> {
    if (!(await makePersonFolder(this.dataDir, name))) return false
    this.undos.push(() => rm(personDir(this.dataDir, name), { recursive: true, force: true }))
    return true
  }

  async renamePerson(from: string, to: string): Promise<void> {
    await movePersonFolder(this.dataDir, from, to)
    this.undos.push(() => movePersonFolder(this.dataDir, to, from))
  }

  async deletePerson(name: string): Promise<void> {
    const trashed = await trashPersonFolder(this.dataDir, name)
    this.undos.push(() => trashed.restore())
    this.finishers.push(() => trashed.remove())
  }

  async placePhotos(person: string, photos: readonly StagedPhoto[]): Promise<void> {
    for (const photo of photos) {
      const temp = this.staging.get(photo.name)
      if (!temp) throw new Error(`The photo ${photo.name} was not staged, or was placed already`)
      const final = resolveInside(personDir(this.dataDir, person), photo.name)
      await rename(temp, final)
      this.staging.delete(photo.name)
      this.undos.push(() => removeQuietly(final))
    }
  }

  async deletePhoto(person: string, photo: string): Promise<void> {
    const file = this.photoFile(person, photo)
    const trash = path.join(await uploadsFolder(this.dataDir), uploadTempName(`deleted-${randomBytes(6).toString('hex')}`))
    await rename(file, trash)
    this.undos.push(() => rename(trash, file))
    this.finishers.push(() => rm(trash, { force: true }))
  }

  async movePhoto(from: string, to: string, photo: string): Promise<void> {
    const source = this.photoFile(from, photo)
    const target = this.photoFile(to, photo)
    await rename(source, target)
    this.undos.push(() => rename(target, source))
  }

  /** Puts the folders back as they were: every undo is tried, newest first, whatever the others do. */
  async undo(): Promise<void> {
    for (const undo of this.undos.reverse()) await undo().catch(() => {})
  }

  async finish(): Promise<void> {
    for (const finish of this.finishers) await finish()
  }

  private photoFile(person: string, photo: string): string {
    if (!storedPhotoName.test(photo)) throw new Error(`"${photo}" is not a stored photo's name`)
    return resolveInside(personDir(this.dataDir, person), photo)
  }
}

export class FilesStorage implements Storage {
  private readonly model
  private readonly watch
  /** Photos staged in this process and not yet placed or discarded, by name: their temp files. */
  private readonly staged = new Map<string, string>()

  constructor(private readonly dataDir: string) {
    this.model = modelFile(dataDir)
    this.watch = new ModelWatch(this.model.file, async () => (await this.model.read()).generation)
  }

  listPeople(): Promise<Person[]> {
    return listPeople(this.dataDir)
  }

  person(name: string): Promise<Person | undefined> {
    return findPerson(this.dataDir, name)
  }

  readModel(): Promise<FaceModel> {
    return this.model.read()
  }

  async photoHashes(): Promise<PhotoHash[]> {
    const people = await this.listPeople()
    return Promise.all(
      people.flatMap((person) =>
        person.photos.map(async (photo) => ({
          person: person.name,
          photo: photo.name,
          hash: await photoHash(path.join(personDir(this.dataDir, person.name), photo.name)),
        })),
      ),
    )
  }

  async readPhoto(person: string, photo: string): Promise<Buffer | undefined> {
    if (!storedPhotoName.test(photo) || !(await personNames(this.dataDir)).includes(person)) return undefined
    return readIfPresent(resolveInside(personDir(this.dataDir, person), photo))
  }

  async stagePhotos(photos: readonly PhotoToStage[]): Promise<Staged> {
    await removeAbandonedUploads(this.dataDir)
    const folder = await uploadsFolder(this.dataDir)
    const planned = photos.map(({ name, bytes }) => ({ bytes, name, temp: path.join(folder, uploadTempName(name)) }))
    // Those placed are gone from the map and from the uploads folder: only the others are removed.
    const discard = async () => {
      for (const photo of planned) {
        if (this.staged.delete(photo.name)) await removeQuietly(photo.temp)
      }
    }
    for (const photo of planned) this.staged.set(photo.name, photo.temp)
    try {
      for (const photo of planned) await writeFile(photo.temp, photo.bytes, { flag: 'wx' })
    } catch (err) {
      await discard()
      throw err
    }
    return { photos: planned.map((photo) => ({ name: photo.name, hash: sha256(photo.bytes) })), discard }
  }

  async change<T>(work: (change: Change) => Promise<{ model: FaceModel; result: T }>): Promise<{ model: FaceModel; result: T }> {
    let folders: FolderChange | undefined
    let result!: T
    try {
      const model = await this.model.update(async (current) => {
        folders = new FolderChange(this.dataDir, this.staged, current)
        const done = await work(folders)
        result = done.result
        return done.model
      })
      await folders?.finish()
      if (model !== folders?.model) this.watch.changed(model.generation)
      return { model, result }
    } catch (err) {
      await folders?.undo()
      throw err
    }
  }

  /** Fills this data folder, which must hold nobody and no model yet, with everything `source` holds, the model's generation too. */
  async fill(source: Storage): Promise<void> {
    if ((await personNames(this.dataDir)).length || (await this.readModel()).generation > 0) {
      throw new Error(`${this.dataDir} holds people or a face model already: copy into an empty data folder`)
    }
    const model = await source.readModel()
    for (const person of await source.listPeople()) {
      await makePersonFolder(this.dataDir, person.name)
      for (const photo of person.photos) {
        const bytes = await source.readPhoto(person.name, photo.name)
        if (bytes) await writeFile(resolveInside(personDir(this.dataDir, person.name), photo.name), bytes, { flag: 'wx' })
      }
    }
    // A source that never had a model leaves none here either.
    if (model.generation > 0 || model.people.length) await this.model.restore(model)
  }

  watchModel(listener: (generation: number) => void): () => void {
    return this.watch.listen(listener)
  }

  async sweep(): Promise<{ what: string; count: number }[]> {
    const [deletions, uploads] = await Promise.all([removeDeletionLeftovers(this.dataDir), removeAbandonedUploads(this.dataDir)])
    return [
      { what: 'folders left by interrupted deletions', count: deletions },
      { what: 'files left by interrupted uploads', count: uploads },
    ]
  }
}

export function filesStorage(dataDir: string): Storage {
  return new FilesStorage(dataDir)
}
