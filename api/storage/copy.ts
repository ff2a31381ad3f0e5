// Copies everything one store holds (people, their photos' bytes, the face model with its generation)
// into another, empty one: a data folder or a PostgreSQL database, either way.
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { FilesStorage } from './files.js'
import { postgresStorage, type PostgresStorage } from './postgres/storage.js'

const isDatabaseUrl = (place: string) => /^postgres(ql)?:\/\//.test(place)

/** A data folder's path or a postgres:// URL, opened as a store that `fill` copies into. */
function openStore(place: string): FilesStorage | PostgresStorage {
  return isDatabaseUrl(place) ? postgresStorage(place) : new FilesStorage(path.resolve(place))
}

async function closeStore(store: FilesStorage | PostgresStorage): Promise<void> {
  if ('close' in store) await store.close()
}

/** Copies `from` into `to` (each a data folder or a postgres:// URL); `to` must hold nobody and no model. */
export async function copyData(from: string, to: string): Promise<void> {
  // A mistyped source folder would copy nobody into the target without a word.
  if (!isDatabaseUrl(from) && !(await stat(from).catch(() => null))?.isDirectory()) throw new Error(`${from} is not a data folder`)
  const source = openStore(from)
  const target = openStore(to)
  try {
    await target.fill(source)
  } finally {
    await Promise.all([closeStore(source), closeStore(target)])
  }
}
