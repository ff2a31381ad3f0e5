// `npm run import -- <folder>` (scripts/import.ts): brings a facer data folder (the reference app's, or this app's) into
// DATA_DIR. Each `users/<name>/` becomes a person (one already registered keeps their photos, and gets
// the new ones), and each of its photos, of any name and extension, goes through the upload pipeline
// (api/photos/image.ts: judged by content, framed around its face, stored as a 320x247 JPEG). The
// folder's faces.json is read and checked; its descriptors are not copied, since they describe the
// photos as the other app stored them: `npm run train` makes them anew from the stored photos.
// Says what it took and what it refused, and why; the folder itself is only read.
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { HttpError } from '../../api/errors.js'
import { preparePhoto, type PreparedPhoto } from '../../api/photos/image.js'
import { maxPhotoBytes } from '../../shared/photos/limits.js'
import { storePhotos } from '../../api/photos/service.js'
import { PersonNameSchema } from '../../shared/people/names.js'
import { filesStorage } from '../../api/storage/files.js'
import type { Storage } from '../../api/storage/port.js'
import { readIfPresent } from '../../api/storage/read-if-present.js'
import { createPerson } from '../../api/people/service.js'
import { parseAnyModel } from '../../shared/face/model.js'

export interface ImportReport {
  people: { name: string; created: boolean; took: { file: string; framing: string }[] }[]
  refused: { file: string; reason: string }[]
  model: string
}

const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true })

async function readModelNote(folder: string): Promise<string> {
  const file = path.join(folder, 'faces.json')
  const text = await readIfPresent(file, 'utf8')
  if (text === undefined) return 'faces.json: none in the folder'
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return 'faces.json: refused, it is not JSON'
  }
  const parsed = parseAnyModel(value)
  if (!parsed.success) return `faces.json: refused, it is neither this app's model nor the reference app's (${parsed.error.issues[0]?.message})`
  const descriptors = parsed.data.people.reduce((sum, person) => sum + person.descriptors.length, 0)
  return `faces.json: read, ${parsed.data.people.length} people with ${descriptors} descriptors; not copied, as they describe the photos as the other app stored them: run \`npm run train\` to make them from the photos imported`
}

/** Imports `folder` into `into` (a storage, or a data folder's path: its files); refuses nothing silently. */
export async function importFolder(folder: string, into: string | Storage): Promise<ImportReport> {
  const usersFolder = path.join(folder, 'users')
  if (!(await stat(usersFolder).catch(() => null))?.isDirectory()) throw new Error(`${folder} has no users/ folder`)
  const report: ImportReport = { people: [], refused: [], model: await readModelNote(folder) }
  const storage = typeof into === 'string' ? filesStorage(into) : into
  const registered = new Set((await storage.listPeople()).map((person) => person.name))
  const entries = (await readdir(usersFolder, { withFileTypes: true })).sort((a, b) => byName(a.name, b.name))
  for (const entry of entries) {
    const where = `users/${entry.name}`
    if (entry.name.startsWith('.')) continue
    if (!entry.isDirectory()) {
      report.refused.push({ file: where, reason: 'not a folder: each person is a folder of photos' })
      continue
    }
    const name = PersonNameSchema.safeParse(entry.name)
    if (!name.success) {
      report.refused.push({ file: where, reason: `not a name this app takes: ${name.error.issues[0]?.message}` })
      continue
    }
    const person = name.data
    const prepared: { file: string; photo: PreparedPhoto }[] = []
    const files = (await readdir(path.join(usersFolder, entry.name), { withFileTypes: true })).sort((a, b) => byName(a.name, b.name))
    for (const file of files) {
      const relative = `${where}/${file.name}`
      if (file.name.startsWith('.')) continue
      if (!file.isFile()) {
        report.refused.push({ file: relative, reason: 'not a file' })
        continue
      }
      const full = path.join(usersFolder, entry.name, file.name)
      if ((await stat(full)).size > maxPhotoBytes) {
        report.refused.push({ file: relative, reason: `larger than ${maxPhotoBytes / 1024 / 1024} MB, the most an upload may be` })
        continue
      }
      try {
        prepared.push({ file: relative, photo: { ...(await preparePhoto(await readFile(full), `"${file.name}"`)), uploadedAs: file.name } })
      } catch (err) {
        if (!(err instanceof HttpError)) throw err
        report.refused.push({ file: relative, reason: err.message })
      }
    }
    if (prepared.length === 0) {
      report.refused.push({ file: where, reason: 'no photo in it could be read: nobody registered' })
      continue
    }
    const created = !registered.has(person)
    try {
      if (created) await createPerson(storage, person)
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      report.refused.push({ file: where, reason: err.message })
      continue
    }
    await storePhotos(storage, person, prepared.map(({ photo }) => photo))
    report.people.push({ name: person, created, took: prepared.map(({ file, photo }) => ({ file, framing: photo.framing })) })
  }
  return report
}

