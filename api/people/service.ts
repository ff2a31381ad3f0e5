// The rules for who is registered: names are unique in their folded form, a person must exist to be
// renamed or deleted, and each change happens in one storage change with their descriptors, so no two
// requests can both pass a check, and no descriptor outlives or misses its person.
import { renamedPerson, withoutPerson } from '../../shared/face/model.js'
import { flagLookAlikes } from '../../shared/face/training.js'
import { nameKey } from '../../shared/people/names.js'
import { HttpError } from '../errors.js'
import type { Change, Storage } from '../storage/port.js'
import type { Person } from './schema.js'

const notFound = (name: string) => new HttpError(404, 'person_not_found', `Nobody is registered as "${name}"`)

/** The person registered under exactly this name, or a 404. */
export async function requirePerson(reader: Pick<Storage | Change, 'person'>, name: string): Promise<Person> {
  const person = await reader.person(name)
  if (!person) throw notFound(name)
  return person
}

async function assertNameFree(change: Change, name: string, except?: string): Promise<void> {
  const taken = (await change.names()).find((other) => other !== except && nameKey(other) === nameKey(name))
  if (taken) throw new HttpError(409, 'name_taken', `"${taken}" is already registered`)
}

export async function createPerson(storage: Storage, name: string): Promise<Person> {
  await storage.change(async (change) => {
    await assertNameFree(change, name)
    // Something that is not a person's folder (a file) may have the name.
    if (!(await change.createPerson(name))) throw new HttpError(409, 'name_taken', `"${name}" is already registered`)
    return { model: change.model, result: undefined }
  })
  return { name, photoCount: 0, photos: [] }
}

export async function renamePerson(storage: Storage, from: string, to: string): Promise<Person> {
  const { result } = await storage.change(async (change) => {
    const person = await requirePerson(change, from)
    if (from === to) return { model: change.model, result: person }
    await assertNameFree(change, to, from)
    await change.renamePerson(from, to)
    // Flags naming them as someone's look-alike are judged again under the new name.
    return { model: flagLookAlikes(renamedPerson(change.model, from, to), []), result: await requirePerson(change, to) }
  })
  return result
}

/** A person is either listed with all their photos and descriptors, or gone with both. */
export async function deletePerson(storage: Storage, name: string): Promise<void> {
  await storage.change(async (change) => {
    await requirePerson(change, name)
    await change.deletePerson(name)
    // A photo flagged for looking like one of theirs is judged again without them.
    return { model: flagLookAlikes(withoutPerson(change.model, name), []), result: undefined }
  })
}
