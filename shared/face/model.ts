import { z } from '../zod.js'
import { descriptorLength, encodeDescriptor, hasDescriptorForm, isEncodedDescriptor, isPlausibleDescriptor, maxDescriptorValue } from './descriptor.js'

export const currentModelVersion = 1

/**
 * The most a model holds, checked before any entry is: the 100 MB body limit takes about 120,000
 * descriptors, and the benchmarks' largest model is 1,000 people of 100 (bench/RESULTS.md).
 */
export const modelLimits = Object.freeze({
  people: 10_000,
  /** Per person, each of: descriptors, rejected photos, photos to remove in one PATCH. */
  entriesPerPerson: 10_000,
  /** In the whole model, each of: descriptors, rejected photos. */
  entries: 150_000,
})

/**
 * A list of at most `max` items, checked one by one up to the first that fails. z.array would
 * report every item's issues: a body of 8 million empty objects made 16 million of them and took
 * the process's whole heap.
 */
export function listOf<T extends z.ZodType>(item: T, max: number, what: string) {
  return itemsOneByOne(z.array(z.unknown()).max(max, `at most ${max} ${what}`), item)
}

function itemsOneByOne<T extends z.ZodType>(list: z.ZodType<unknown[]>, item: T) {
  return list.transform((items, ctx) => {
    const parsed: z.output<T>[] = []
    for (const [index, value] of items.entries()) {
      const result = item.safeParse(value)
      if (!result.success) {
        const [first] = result.error.issues
        ctx.issues.push({ ...first!, input: value, path: [index, ...first!.path] } as z.core.$ZodRawIssue)
        return z.NEVER
      }
      parsed.push(result.data)
    }
    return parsed
  })
}

const lengthOf = (value: unknown, key: string) => {
  const list = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
  return Array.isArray(list) ? list.length : 0
}

/** People, with the model's totals checked on the raw input before any person is. */
function peopleList<T extends z.ZodType>(person: T) {
  const list = z
    .array(z.unknown())
    .max(modelLimits.people, `at most ${modelLimits.people} people`)
    .superRefine((people, ctx) => {
      for (const [key, what] of [['descriptors', 'descriptors'], ['rejected', 'rejected photos']] as const) {
        const total = people.reduce((sum: number, person) => sum + lengthOf(person, key), 0)
        if (total > modelLimits.entries) {
          const message = `at most ${modelLimits.entries} ${what} in all`
          ctx.addIssue({ code: 'too_big', origin: 'array', maximum: modelLimits.entries, inclusive: true, input: people, message })
        }
      }
    })
  return itemsOneByOne(list, person)
}

export const DetectorSchema = z.enum(['ssd_mobilenetv1', 'tiny_face_detector', 'unknown'])

export const BoxSchema = z.object({
  x: z.number(),
  y: z.number(),
  width: z.number().nonnegative(),
  height: z.number().nonnegative(),
})

/** Why a photo gave no usable descriptor. */
export const RejectionReasonSchema = z.enum(['no_face', 'several_faces', 'face_too_small', 'too_blurry', 'unreadable'])

/** The other person's photo that a descriptor is nearly identical to (see flagLookAlikes in training.ts). */
export const LookAlikeSchema = z.object({
  person: z.string().min(1),
  photo: z.string().min(1),
  distance: z.number().nonnegative(),
})

export const DescriptorEntrySchema = z.object({
  photo: z.string().min(1),
  /** SHA-256 of the photo's bytes, hex: a photo is trained again only when this changes. */
  hash: z.string(),
  detector: DetectorSchema,
  box: BoxSchema.nullable(),
  descriptor: z.string().refine(isEncodedDescriptor, `not a base64 descriptor of ${descriptorLength} float32 numbers between -${maxDescriptorValue} and ${maxDescriptorValue}`),
  /** Set when the face was found only on a retry (a lower confidence, the other detector, a turned copy): what was done. */
  note: z.string().max(200).optional(),
  /**
   * Set while the face is very close to another person's photo: the same face under two names, most
   * likely. Such an entry stays out of the matcher's gallery until the person confirms or moves it.
   */
  lookAlike: LookAlikeSchema.optional(),
  /** The person said this photo is theirs despite a look-alike: it is not flagged again while its hash stays. */
  confirmed: z.literal(true).optional(),
})

export const RejectedPhotoSchema = z.object({
  photo: z.string().min(1),
  hash: z.string(),
  reason: RejectionReasonSchema,
  detail: z.string(),
})

export const PersonModelSchema = z.object({
  name: z.string().min(1),
  descriptors: listOf(DescriptorEntrySchema, modelLimits.entriesPerPerson, 'descriptors a person'),
  rejected: listOf(RejectedPhotoSchema, modelLimits.entriesPerPerson, 'rejected photos a person').default([]),
})

export const FaceModelSchema = z.object({
  version: z.literal(currentModelVersion),
  /** Goes up by one with every write; a write based on an older generation is refused. */
  generation: z.number().int().nonnegative(),
  updatedAt: z.string(),
  people: peopleList(PersonModelSchema),
})

/** face-api's JSON of a Float32Array, {"0": …, "127": …}, or an array; the keys are counted before any value is read. */
function legacyValues(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value.length === descriptorLength ? value : undefined
  if (typeof value !== 'object' || value === null || Object.keys(value).length !== descriptorLength) return undefined
  return Array.from({ length: descriptorLength }, (_, index) => (value as Record<string, unknown>)[String(index)])
}

const LegacyDescriptorSchema = z.unknown().transform((value, ctx): number[] => {
  const values = legacyValues(value)
  if (values && isPlausibleDescriptor(values)) return values as number[]
  ctx.addIssue({ code: 'custom', input: value, message: `a descriptor has ${descriptorLength} numbers between -${maxDescriptorValue} and ${maxDescriptorValue}` })
  return z.NEVER
})

/** The reference app's faces.json: `[{ user, descriptors: [{ path, descriptor: {"0": …} }] }]`. */
export const LegacyFaceModelSchema = peopleList(
  z.object({
    user: z.string().min(1),
    descriptors: listOf(z.object({ path: z.string(), descriptor: LegacyDescriptorSchema }), modelLimits.entriesPerPerson, 'descriptors a person'),
  }),
)

export type Detector = z.infer<typeof DetectorSchema>
export type Box = z.infer<typeof BoxSchema>
export type RejectionReason = z.infer<typeof RejectionReasonSchema>
export type LookAlike = z.infer<typeof LookAlikeSchema>
export type DescriptorEntry = z.infer<typeof DescriptorEntrySchema>
export type RejectedPhoto = z.infer<typeof RejectedPhotoSchema>
export type PersonModel = z.infer<typeof PersonModelSchema>
export type FaceModel = z.infer<typeof FaceModelSchema>
export type LegacyFaceModel = z.infer<typeof LegacyFaceModelSchema>

export function emptyModel(): FaceModel {
  return { version: currentModelVersion, generation: 0, updatedAt: new Date(0).toISOString(), people: [] }
}

/** Converts the reference app's model; its photos have no known hash, so they are trained again. */
export function fromLegacyModel(legacy: LegacyFaceModel): FaceModel {
  return {
    ...emptyModel(),
    people: legacy.map((person) => ({
      name: person.user,
      rejected: [],
      descriptors: person.descriptors.map((entry) => ({
        photo: entry.path.split(/[\\/]/).pop() ?? entry.path,
        hash: '',
        detector: 'unknown' as const,
        box: null,
        descriptor: encodeDescriptor(entry.descriptor),
      })),
    })),
  }
}

/** Reads either format: this app's versioned model, or the reference app's array. */
export function parseAnyModel(value: unknown): z.ZodSafeParseResult<FaceModel> {
  if (Array.isArray(value)) {
    const legacy = LegacyFaceModelSchema.safeParse(value)
    return legacy.success ? FaceModelSchema.safeParse(fromLegacyModel(legacy.data)) : (legacy as z.ZodSafeParseResult<never>)
  }
  return FaceModelSchema.safeParse(value)
}

type Loose = Record<string, unknown> | null | undefined

const implausible = (entry: unknown) => {
  const text = (entry as Loose)?.descriptor
  return typeof text === 'string' && hasDescriptorForm(text) && !isEncodedDescriptor(text)
}

/**
 * A faces.json (this app's form, as read) without the descriptors that hold NaN, ±Infinity or numbers
 * no face gives: files written before such descriptors were refused may have some, and one made the
 * Recognize page fail for everyone. Their photos are trained again. `dropped` names each: person/photo.
 */
export function withoutImplausibleDescriptors(value: unknown): { value: unknown; dropped: string[] } {
  const people = (value as Loose)?.people
  if (!Array.isArray(people)) return { value, dropped: [] }
  const dropped: string[] = []
  const kept = people.map((person: Loose) => {
    const descriptors = person?.descriptors
    if (!Array.isArray(descriptors) || !descriptors.some(implausible)) return person
    for (const entry of descriptors.filter(implausible)) dropped.push(`${String(person?.name)}/${String((entry as Loose)?.photo)}`)
    return { ...person, descriptors: descriptors.filter((entry) => !implausible(entry)) }
  })
  return dropped.length ? { value: { ...(value as object), people: kept }, dropped } : { value, dropped }
}

/** The model with one person's entry replaced (or added), people kept in name order. */
export function withPerson(model: FaceModel, person: PersonModel): FaceModel {
  const people = [...model.people.filter((other) => other.name !== person.name), person]
  return { ...model, people: people.sort((a, b) => a.name.localeCompare(b.name)) }
}

// The edits below return the same model object when they change nothing, so no write is needed.

export function withoutPerson(model: FaceModel, name: string): FaceModel {
  if (!model.people.some((person) => person.name === name)) return model
  return { ...model, people: model.people.filter((person) => person.name !== name) }
}

export function renamedPerson(model: FaceModel, from: string, to: string): FaceModel {
  const person = model.people.find((candidate) => candidate.name === from)
  return person ? withPerson(withoutPerson(model, from), { ...person, name: to }) : model
}

/** Whether a descriptor may name faces: every entry but one flagged as another person's look-alike. */
export function isMatchable(entry: DescriptorEntry): boolean {
  return entry.lookAlike === undefined
}

/** Drops a photo's descriptor or rejection from a person's entry. */
export function withoutPhotos(model: FaceModel, name: string, photos: string[]): FaceModel {
  const person = model.people.find((candidate) => candidate.name === name)
  const names = new Set(photos)
  const listed = (entry: { photo: string }) => names.has(entry.photo)
  if (!person || !(person.descriptors.some(listed) || person.rejected.some(listed))) return model
  const keep = <T extends { photo: string }>(entries: T[]) => entries.filter((entry) => !listed(entry))
  return withPerson(model, { ...person, descriptors: keep(person.descriptors), rejected: keep(person.rejected) })
}

/** Marks a flagged photo as its person's own: it names faces again and is not flagged again. */
export function withPhotoConfirmed(model: FaceModel, name: string, photo: string): FaceModel {
  const person = model.people.find((candidate) => candidate.name === name)
  const entry = person?.descriptors.find((candidate) => candidate.photo === photo)
  if (!person || !entry) return model
  const { lookAlike: _flag, ...rest } = entry
  const confirmed: DescriptorEntry = { ...rest, confirmed: true }
  return withPerson(model, { ...person, descriptors: person.descriptors.map((candidate) => (candidate === entry ? confirmed : candidate)) })
}

/** Gives a photo's descriptor or rejection to another person, without the flag or confirmation it had. */
export function withPhotoMoved(model: FaceModel, from: string, to: string, photo: string): FaceModel {
  const source = model.people.find((candidate) => candidate.name === from)
  const descriptor = source?.descriptors.find((candidate) => candidate.photo === photo)
  const rejection = source?.rejected.find((candidate) => candidate.photo === photo)
  if (!descriptor && !rejection) return model
  const base = withoutPhotos(model, from, [photo])
  const target = base.people.find((candidate) => candidate.name === to) ?? { name: to, descriptors: [], rejected: [] }
  if (rejection) return withPerson(base, { ...target, rejected: [...target.rejected, rejection] })
  const { lookAlike: _flag, confirmed: _confirmed, ...entry } = descriptor!
  return withPerson(base, { ...target, descriptors: [...target.descriptors, entry] })
}
