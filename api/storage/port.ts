// The storage port: everything the API keeps (people, their photos, the face model), as the services
// need it, whatever keeps it: the files in DATA_DIR (files.ts, the default) or PostgreSQL (postgres/);
// the services hold the rules and never touch a file, a lock or a table themselves.
import type { FaceModel } from '../../shared/face/model.js'
import type { PhotoHash } from '../faces/schema.js'
import type { Person } from '../people/schema.js'

/** A photo to stage: its stored name (see newPhotoName) and its JPEG bytes. */
export interface PhotoToStage {
  readonly name: string
  readonly bytes: Buffer
}

/** A photo that was checked and made ready to store, held where the storage keeps new photos until a change places it. */
export interface StagedPhoto {
  /** The name it will have in its person's folder. */
  readonly name: string
  /** The SHA-256 of its bytes, in hex: what training keys its result by. */
  readonly hash: string
}

/** Photos staged together; `discard` removes what no change placed (a failed request), and is safe to call twice. */
export interface Staged {
  readonly photos: readonly StagedPhoto[]
  discard(): Promise<void>
}

/**
 * What one change may read and do. It sees one state of the data, no other change on the same data runs
 * meanwhile (in any process, on any host sharing the data), and all it does lands together with the
 * model it returns, or none of it does.
 */
export interface Change {
  /** The face model as the change began. */
  readonly model: FaceModel
  /** The names of everyone registered, in no order. */
  names(): Promise<string[]>
  /** The person registered under exactly this name, with their photos. */
  person(name: string): Promise<Person | undefined>
  /** Registers a person; false when the name is taken by something that is not a person (a file of that name). */
  createPerson(name: string): Promise<boolean>
  renamePerson(from: string, to: string): Promise<void>
  /** Removes a person with all their photos. */
  deletePerson(name: string): Promise<void>
  placePhotos(person: string, photos: readonly StagedPhoto[]): Promise<void>
  deletePhoto(person: string, photo: string): Promise<void>
  /** Gives a photo to another person, under the same name. */
  movePhoto(from: string, to: string, photo: string): Promise<void>
}

export interface Storage {
  /** Everyone registered, sorted by name, each with their photos. */
  listPeople(): Promise<Person[]>
  person(name: string): Promise<Person | undefined>
  readModel(): Promise<FaceModel>
  /** The content hash of every stored photo. */
  photoHashes(): Promise<PhotoHash[]>
  /** A stored photo's bytes (JPEG), or undefined when there is no such photo. */
  readPhoto(person: string, photo: string): Promise<Buffer | undefined>
  /** Makes photos ready to place, outside any change: the slow part of an upload holds no lock. */
  stagePhotos(photos: readonly PhotoToStage[]): Promise<Staged>
  /**
   * Runs `work` as one change (see Change). It answers with the model to keep (the one it was given:
   * nothing to write) and its result; the model is saved with the next generation. If `work` throws, or
   * the model cannot be saved, nothing it did stays.
   */
  change<T>(work: (change: Change) => Promise<{ model: FaceModel; result: T }>): Promise<{ model: FaceModel; result: T }>
  /** Calls `listener` with the model's new generation whenever it changes, made by this process or any
   *  other sharing the data; answers a function that stops listening. */
  watchModel(listener: (generation: number) => void): () => void
  /** Removes what processes killed mid-change left behind; answers what it removed, for the log. */
  sweep(): Promise<{ what: string; count: number }[]>
}
