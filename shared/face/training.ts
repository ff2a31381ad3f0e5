import type * as TensorFlow from '@tensorflow/tfjs'
import { euclideanDistance, decodeDescriptor, descriptorLength } from './descriptor.js'
import { enrollTurned, mayBeSideways, toModelEntry, type EnrollResult, type FaceRuntime } from './enroll.js'
import { defaultDecisionRule } from './match.js'
import { isMatchable, type DescriptorEntry, type Detector, type FaceModel, type LookAlike, type PersonModel, type RejectedPhoto } from './model.js'

/** A stored photo and the hash of its content. */
export interface PhotoRef {
  person: string
  photo: string
  hash: string
}

export interface TrainingPlan {
  /** Photos that are new or changed since they were last trained, in person order. */
  toProcess: PhotoRef[]
  /** Everyone in scope, with the entries still valid from the last training. */
  people: PersonModel[]
  /** People in the model who are no longer registered. */
  removedPeople: string[]
}

/**
 * What a training run must do: only photos whose content changed (by hash) since the last run
 * are processed again; entries of removed photos are dropped; people no longer registered leave.
 * `registered` is everyone with a folder, photos or not; `scope` limits the run to some of them
 * (per-person training); by default, everyone.
 */
export function planTraining(
  model: FaceModel,
  registered: string[],
  photos: PhotoRef[],
  detector: Detector,
  scope?: string[],
): TrainingPlan {
  const inScope = (name: string) => !scope || scope.includes(name)
  const people: PersonModel[] = []
  const toProcess: PhotoRef[] = []
  for (const name of registered.filter(inScope)) {
    const previous = model.people.find((person) => person.name === name)
    const current = photos.filter((photo) => photo.person === name)
    const hashOf = new Map(current.map((photo) => [photo.photo, photo.hash]))
    const upToDate = (entry: { photo: string; hash: string }) => entry.hash !== '' && hashOf.get(entry.photo) === entry.hash
    const descriptors = (previous?.descriptors ?? []).filter((entry) => upToDate(entry) && entry.detector === detector)
    const rejected = (previous?.rejected ?? []).filter(upToDate)
    const done = new Set([...descriptors, ...rejected].map((entry) => entry.photo))
    toProcess.push(...current.filter((photo) => !done.has(photo.photo)))
    people.push({ name, descriptors, rejected })
  }
  const removedPeople = model.people.map((person) => person.name).filter((name) => inScope(name) && !registered.includes(name))
  return { toProcess, people, removedPeople }
}

/**
 * After a person's photos were enrolled: each photo of `photos` that found no face, or a face unlike the
 * person's other photos, is read again from turned copies (`enrollTurned`), judged by those other photos.
 * Every trainer calls this after its first pass, so that a sideways photo is read whatever its order.
 */
export async function secondLookAtSideways(
  runtime: FaceRuntime,
  person: PersonModel,
  photos: readonly PhotoRef[],
  loadImage: (photo: PhotoRef) => Promise<TensorFlow.Tensor3D>,
  threshold = defaultDecisionRule.threshold,
): Promise<PersonModel> {
  for (const photo of photos) {
    const others = person.descriptors.filter((entry) => entry.photo !== photo.photo).map((entry) => decodeDescriptor(entry.descriptor))
    const own = person.descriptors.find((entry) => entry.photo === photo.photo)
    const rejection = person.rejected.find((entry) => entry.photo === photo.photo)
    const first: EnrollResult | null = own
      ? { ok: true, detector: own.detector, box: own.box ?? { x: 0, y: 0, width: 0, height: 0 }, score: 0, sharpness: 0, descriptor: decodeDescriptor(own.descriptor) }
      : rejection && rejection.reason !== 'unreadable'
        ? { ok: false, reason: rejection.reason, detail: rejection.detail }
        : null
    if (!first || !mayBeSideways(first, others, threshold)) continue
    const image = await loadImage(photo)
    try {
      const turned = await enrollTurned(runtime, image, others, threshold)
      if (turned) person = recordResult(person, toModelEntry(photo, turned))
    } finally {
      image.dispose()
    }
  }
  return person
}

/**
 * Whether a trained person differs from their entry in `model`: trainers write only people who do, so
 * adding one photo to a large model writes the model once, not once per person.
 */
export function personChanged(model: FaceModel, person: PersonModel): boolean {
  const before = model.people.find((entry) => entry.name === person.name)
  if (!before) return true
  const key = (entry: { photo: string }) => entry.photo
  const sorted = <T extends { photo: string }>(entries: T[]) => [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
  return (
    JSON.stringify([sorted(before.descriptors), sorted(before.rejected)]) !== JSON.stringify([sorted(person.descriptors), sorted(person.rejected)])
  )
}

/** Adds one photo's result to its person's entry in a plan, replacing an older one. */
export function recordResult(person: PersonModel, result: DescriptorEntry | RejectedPhoto): PersonModel {
  const others = <T extends { photo: string }>(entries: T[]) => entries.filter((entry) => entry.photo !== result.photo)
  return 'descriptor' in result
    ? { ...person, descriptors: [...others(person.descriptors), result], rejected: others(person.rejected) }
    : { ...person, descriptors: others(person.descriptors), rejected: [...others(person.rejected), result] }
}

/**
 * A face this close to another person's photo is flagged as a likely mix-up: the same face under two
 * names. No two different people of the verification pairs came this close (bench/CALIBRATION.md,
 * "Look-alikes: the same face under two names").
 */
export const lookAlikeDistance = 0.45

interface Row {
  person: number
  entry: number
  /** Where its numbers start in the packed descriptors. */
  offset: number
  confirmed: boolean
}

/**
 * Brings the look-alike flags up to date after the people in `changed` had entries added, moved or
 * removed (`changed` may be empty: only the flags already set are judged again, as after a person was
 * renamed or deleted). A photo is flagged when its face is within `threshold` of another person's photo,
 * unless it is clearly its own person's and the other is not: its own person has another photo within
 * `sameThreshold` of it (recognition's threshold), and the other photo has no such support or was
 * confirmed. So a photo uploaded under a second name is flagged, the first person's copy is not, and
 * two single photos of one face under two names are both flagged. A confirmed photo is never flagged.
 *
 * With `before` (the model the write started from), the changed people's entries keep the flags they
 * had there and new entries start with none: a client's write cannot set or clear a flag.
 * Judged are the changed people's new entries (all of their entries when `before` is not given), the
 * photos flagged before and other people's photos near a new entry: each costs one pass over the
 * other people's descriptors, so a write of a few photos stays quick in a model of 100,000.
 * Returns `model` itself when no flag changed.
 */
export function flagLookAlikes(
  written: FaceModel,
  changed: readonly string[],
  before?: FaceModel,
  threshold = lookAlikeDistance,
  sameThreshold = defaultDecisionRule.threshold,
): FaceModel {
  const key = (name: string, entry: DescriptorEntry) => `${name}\u0000${entry.photo}\u0000${entry.descriptor}`
  const known = new Map(
    (before?.people ?? []).filter((person) => changed.includes(person.name)).flatMap((person) => person.descriptors.map((entry) => [key(person.name, entry), entry] as const)),
  )
  const model = before ? withFlagsFrom(written, changed, (name, entry) => known.get(key(name, entry))) : written
  const total = model.people.reduce((sum, person) => sum + person.descriptors.length, 0)
  const packed = new Float32Array(total * descriptorLength)
  const rows: Row[] = []
  const ownRows: Row[][] = model.people.map(() => [])
  model.people.forEach((person, personIndex) => {
    person.descriptors.forEach((entry, entryIndex) => {
      const row = { person: personIndex, entry: entryIndex, offset: rows.length * descriptorLength, confirmed: entry.confirmed === true }
      packed.set(decodeDescriptor(entry.descriptor), row.offset)
      rows.push(row)
      ownRows[personIndex]!.push(row)
    })
  })
  const rowPerson = Int32Array.from(rows, (row) => row.person)
  const squared = (a: Row, b: Row) => squaredDistance(packed, a.offset, b.offset)
  const limit = threshold * threshold
  /** The nearest other person's photo within the threshold, and every other photo within it. */
  const nearOthers = (row: Row) => {
    let nearest: { row: Row; squared: number } | undefined
    const near: Row[] = []
    for (let other = 0; other < rows.length; other++) {
      if (rowPerson[other] === row.person) continue
      const distance = squaredDistance(packed, row.offset, other * descriptorLength)
      if (distance >= limit) continue
      near.push(rows[other]!)
      if (!nearest || distance < nearest.squared) nearest = { row: rows[other]!, squared: distance }
    }
    return { nearest, near }
  }
  const supported = (row: Row) => ownRows[row.person]!.some((own) => own !== row && squared(own, row) < sameThreshold * sameThreshold)

  const isNew = (person: PersonModel, entry: DescriptorEntry) => !before || !known.has(key(person.name, entry))
  const entryOf = (row: Row) => model.people[row.person]!.descriptors[row.entry]!
  const judged = new Set<Row>()
  const found = new Map<Row, ReturnType<typeof nearOthers>>()
  for (const row of rows) {
    const person = model.people[row.person]!
    if (changed.includes(person.name) && isNew(person, entryOf(row))) {
      const result = nearOthers(row)
      found.set(row, result)
      judged.add(row)
      for (const other of result.near) judged.add(other)
    } else if (entryOf(row).lookAlike) judged.add(row)
  }

  // By `person:entry`: the new flag of each judged entry, undefined for none.
  const flags = new Map<string, LookAlike | undefined>()
  for (const row of judged) {
    const nearest = row.confirmed ? undefined : (found.get(row) ?? nearOthers(row)).nearest
    const clearlyOwn = nearest && supported(row) && (nearest.row.confirmed || !supported(nearest.row))
    const other = nearest && !clearlyOwn ? nearest : undefined
    flags.set(
      `${row.person}:${row.entry}`,
      other && { person: model.people[other.row.person]!.name, photo: entryOf(other.row).photo, distance: round(Math.sqrt(other.squared)) },
    )
  }

  let changedAny = false
  const people = model.people.map((person, personIndex) => {
    let touched = false
    const descriptors = person.descriptors.map((entry, entryIndex) => {
      const at = `${personIndex}:${entryIndex}`
      if (!flags.has(at)) return entry
      const flag = flags.get(at)
      if (sameLookAlike(entry.lookAlike, flag)) return entry
      touched = true
      const { lookAlike: _previous, ...rest } = entry
      return flag ? { ...rest, lookAlike: flag } : rest
    })
    if (!touched) return person
    changedAny = true
    return { ...person, descriptors }
  })
  return changedAny ? { ...model, people } : changedFlags(written, model) ? model : written
}

/**
 * The flags are the server's: an entry a client sends again keeps the flag or confirmation it had
 * (`previous`), a new one starts with neither, so no write can set or clear them but the rule and
 * the confirm route.
 */
function withFlagsFrom(model: FaceModel, changed: readonly string[], previous: (name: string, entry: DescriptorEntry) => DescriptorEntry | undefined): FaceModel {
  return {
    ...model,
    people: model.people.map((person) =>
      changed.includes(person.name)
        ? {
            ...person,
            descriptors: person.descriptors.map((entry) => {
              const { lookAlike: _flag, confirmed: _confirmed, ...rest } = entry
              const old = previous(person.name, entry)
              return { ...rest, ...(old?.lookAlike && { lookAlike: old.lookAlike }), ...(old?.confirmed && { confirmed: old.confirmed }) }
            }),
          }
        : person,
    ),
  }
}

/** Whether normalizing the flags changed any entry: the caller's model is kept when it did not. */
function changedFlags(a: FaceModel, b: FaceModel): boolean {
  return a.people.some((person, index) =>
    person.descriptors.some((entry, at) => {
      const other = b.people[index]!.descriptors[at]!
      return !sameLookAlike(entry.lookAlike, other.lookAlike) || entry.confirmed !== other.confirmed
    }),
  )
}

/** Between two rows of packed descriptors; four running sums let the additions overlap (as in match.ts). */
function squaredDistance(packed: Float32Array, a: number, b: number): number {
  let sum0 = 0
  let sum1 = 0
  let sum2 = 0
  let sum3 = 0
  for (let i = 0; i < descriptorLength; i += 4) {
    const difference0 = packed[a + i]! - packed[b + i]!
    const difference1 = packed[a + i + 1]! - packed[b + i + 1]!
    const difference2 = packed[a + i + 2]! - packed[b + i + 2]!
    const difference3 = packed[a + i + 3]! - packed[b + i + 3]!
    sum0 += difference0 * difference0
    sum1 += difference1 * difference1
    sum2 += difference2 * difference2
    sum3 += difference3 * difference3
  }
  return sum0 + sum1 + sum2 + sum3
}

const round = (distance: number) => Math.round(distance * 1000) / 1000

function sameLookAlike(a: LookAlike | undefined, b: LookAlike | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.person === b.person && a.photo === b.photo && a.distance === b.distance)
}

/** The message a flagged photo shows: "looks like barack_obama (0.04): wrong person?" */
export function lookAlikeMessage(lookAlike: LookAlike): string {
  return `looks like ${lookAlike.person} (${lookAlike.distance.toFixed(2)}): wrong person?`
}

export interface PersonSummary {
  name: string
  /** Photos whose descriptor names faces: not rejected, not flagged. */
  usable: number
  usablePhotos: string[]
  rejected: RejectedPhoto[]
  /** Photos flagged as another person's look-alike: kept out of recognition until confirmed or moved. */
  flagged: { photo: string; lookAlike: LookAlike }[]
  /** Usable photos whose face was found only on a retry, with what was done. */
  retried: { photo: string; note: string }[]
  /** Fewer usable photos than recognition needs to be reliable. */
  needsPhotos: boolean
}

export interface ClosePair {
  a: string
  b: string
  /** The smallest distance between a descriptor of one and a descriptor of the other, flagged ones included. */
  distance: number
  /** Closer than different people come: most likely the same face under two names (lookAlikeDistance). */
  sameFace: boolean
}

export const minimumUsablePhotos = 3

/** Per person: usable and rejected photos; and which people are closest to one another. */
export function summarizeModel(model: FaceModel, limit = 5): { people: PersonSummary[]; closest: ClosePair[] } {
  const people = model.people.map((person): PersonSummary => {
    const usable = person.descriptors.filter(isMatchable)
    return {
      name: person.name,
      usable: usable.length,
      usablePhotos: usable.map((entry) => entry.photo),
      rejected: person.rejected,
      flagged: person.descriptors.flatMap(({ photo, lookAlike }) => (lookAlike ? [{ photo, lookAlike }] : [])),
      retried: usable.flatMap(({ photo, note }) => (note ? [{ photo, note }] : [])),
      needsPhotos: usable.length < minimumUsablePhotos,
    }
  })
  const decoded = model.people.map((person) => ({ name: person.name, descriptors: person.descriptors.map((entry) => decodeDescriptor(entry.descriptor)) }))
  const closest: ClosePair[] = []
  for (let i = 0; i < decoded.length; i++) {
    for (let j = i + 1; j < decoded.length; j++) {
      let distance = Number.POSITIVE_INFINITY
      for (const first of decoded[i]!.descriptors) {
        for (const second of decoded[j]!.descriptors) distance = Math.min(distance, euclideanDistance(first, second))
      }
      if (Number.isFinite(distance)) closest.push({ a: decoded[i]!.name, b: decoded[j]!.name, distance, sameFace: distance < lookAlikeDistance })
    }
  }
  closest.sort((first, second) => first.distance - second.distance)
  return { people, closest: closest.slice(0, limit) }
}
