import type * as TensorFlow from '@tensorflow/tfjs'
import { euclideanDistance, decodeDescriptor } from './descriptor.js'
import { enrolTurned, mayBeSideways, toModelEntry, type EnrolResult, type FaceRuntime } from './enrol.js'
import { defaultDecisionRule } from './match.js'
import type { DescriptorEntry, Detector, FaceModel, PersonModel, RejectedPhoto } from './model.js'

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
 * person's other photos, is read again from turned copies (`enrolTurned`), judged by those other photos.
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
    const first: EnrolResult | null = own
      ? { ok: true, detector: own.detector, box: own.box ?? { x: 0, y: 0, width: 0, height: 0 }, score: 0, sharpness: 0, descriptor: decodeDescriptor(own.descriptor) }
      : rejection && rejection.reason !== 'unreadable'
        ? { ok: false, reason: rejection.reason, detail: rejection.detail }
        : null
    if (!first || !mayBeSideways(first, others, threshold)) continue
    const image = await loadImage(photo)
    try {
      const turned = await enrolTurned(runtime, image, others, threshold)
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

export interface PersonSummary {
  name: string
  usable: number
  rejected: RejectedPhoto[]
  /** Usable photos whose face was found only on a retry, with what was done. */
  retried: { photo: string; note: string }[]
  /** Fewer usable photos than recognition needs to be reliable. */
  needsPhotos: boolean
}

export interface ClosePair {
  a: string
  b: string
  /** The smallest distance between a descriptor of one and a descriptor of the other. */
  distance: number
}

export const minimumUsablePhotos = 3

/** Per person: usable and rejected photos; and which people are closest to one another. */
export function summariseModel(model: FaceModel, limit = 5): { people: PersonSummary[]; closest: ClosePair[] } {
  const people = model.people.map((person) => ({
    name: person.name,
    usable: person.descriptors.length,
    rejected: person.rejected,
    retried: person.descriptors.flatMap(({ photo, note }) => (note ? [{ photo, note }] : [])),
    needsPhotos: person.descriptors.length < minimumUsablePhotos,
  }))
  const decoded = model.people.map((person) => ({ name: person.name, descriptors: person.descriptors.map((entry) => decodeDescriptor(entry.descriptor)) }))
  const closest: ClosePair[] = []
  for (let i = 0; i < decoded.length; i++) {
    for (let j = i + 1; j < decoded.length; j++) {
      let distance = Number.POSITIVE_INFINITY
      for (const first of decoded[i]!.descriptors) {
        for (const second of decoded[j]!.descriptors) distance = Math.min(distance, euclideanDistance(first, second))
      }
      if (Number.isFinite(distance)) closest.push({ a: decoded[i]!.name, b: decoded[j]!.name, distance })
    }
  }
  closest.sort((first, second) => first.distance - second.distance)
  return { people, closest: closest.slice(0, limit) }
}
