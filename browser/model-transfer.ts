// Reading a faces.json file in the browser before an import: checked with the same schema the server uses, and counted for the confirmation.
import type { z } from 'zod'
import { currentModelVersion, parseAnyModel, type FaceModel } from '~/shared/face/model'

/** What a face model holds, in the words the import confirmation uses. */
export interface ModelCounts {
  people: number
  descriptors: number
}

export function countModel(model: FaceModel): ModelCounts {
  return { people: model.people.length, descriptors: model.people.reduce((sum, person) => sum + person.descriptors.length, 0) }
}

/** A faces.json read and checked in the browser, before anything is sent. */
export interface ModelFile {
  name: string
  /** As read, for the server, which validates it again. */
  body: unknown
  counts: ModelCounts
}

const at = (value: unknown, path: PropertyKey[]): unknown =>
  path.reduce<unknown>((part, key) => (typeof part === 'object' && part !== null ? (part as Record<PropertyKey, unknown>)[key] : undefined), value)

/**
 * Why a file is not a model this app can import, in words for the person who picked it: the schema's
 * own text ("version Invalid input: expected 1") says nothing to them.
 */
export function modelFileProblem(value: unknown, issue: z.core.$ZodIssue | undefined): string {
  if (typeof value !== 'object' || value === null) return 'it does not hold a face model.'
  const path = issue?.path ?? []
  const [first] = path
  // The reference app's file is a list of people; this app's holds one under `people`.
  const index = Array.isArray(value) ? first : first === 'people' ? path[1] : undefined
  const person = typeof index === 'number' ? at(value, Array.isArray(value) ? [index, 'user'] : ['people', index, 'name']) : undefined
  const who = typeof person === 'string' ? ` (${person})` : typeof index === 'number' ? ` (person ${index + 1})` : ''
  if (issue?.code === 'too_big') return `it holds more than facer takes: ${issue.message}.`
  if (first === 'version') {
    const version = at(value, ['version'])
    return version === undefined
      ? 'it has no version number, so it is not a face model exported by facer.'
      : `it is a version ${JSON.stringify(version)} face model; this facer reads version ${currentModelVersion}.`
  }
  if (first === 'people' && path.length === 1) return 'it has no list of people.'
  if (path.includes('descriptor')) return `a face descriptor${who} is not 128 numbers a face gives, so the file may be damaged.`
  if (path.includes('name') || path.includes('user')) return `a person${who} has no name.`
  if (path.includes('descriptors')) return `a person's list of faces${who} is missing or damaged.`
  if (first === 'generation' || first === 'updatedAt') return 'its header is damaged: it has no generation or date.'
  return `part of it cannot be read${who}.`
}

export async function readModelFile(file: File): Promise<ModelFile> {
  let body: unknown
  try {
    body = JSON.parse(await file.text())
  } catch {
    throw new Error(`${file.name} cannot be imported: it is not a JSON file.`)
  }
  const parsed = parseAnyModel(body)
  if (!parsed.success) throw new Error(`${file.name} cannot be imported: ${modelFileProblem(body, parsed.error.issues[0])}`)
  return { name: file.name, body, counts: countModel(parsed.data) }
}
