// The matching workload, the same in Node and in the page (bundled by bench/match.ts): seeded
// stored descriptors and queries near them, timed with shared/face/match.ts and with face-api's
// FaceMatcher.findBestMatch.
import { descriptorLength, encodeDescriptor } from '../../shared/face/descriptor.js'
import { createGallery, matchDescriptor } from '../../shared/face/match.js'
import { currentModelVersion, type FaceModel } from '../../shared/face/model.js'
import { seededRandom } from '../../tests/support/random.js'
import { quantile, round } from '../../shared/stats.js'

export const sizes = [
  { people: 10, perPerson: 100 },
  { people: 100, perPerson: 100 },
  { people: 1000, perPerson: 100 },
]
export const queryCount = 200
export const warmUpCount = 20
/** FaceMatcher takes most of a second per query at 100,000 descriptors: it stops at whichever comes first. */
export const faceMatcherBudget = { queries: queryCount, milliseconds: 20_000, minQueries: 10, warmUp: 3 }

/** What the workload needs of face-api: the Node and the browser builds both have it. */
export interface FaceMatcherApi {
  FaceMatcher: new (descriptors: unknown[]) => { findBestMatch(query: Float32Array): unknown }
  LabeledFaceDescriptors: new (label: string, descriptors: Float32Array[]) => unknown
}

export interface Case {
  people: number
  perPerson: number
  vectors: Float32Array[][]
  queries: Float32Array[]
}

export interface Timing {
  queries: number
  medianMs: number
  p90Ms: number
  /** Building the matcher: createGallery from the stored base64, or FaceMatcher from Float32Arrays. */
  buildMs: number
}

export interface MatchResult {
  descriptors: number
  people: number
  perPerson: number
  matchDescriptor: Timing
  faceMatcher: Timing
  speedup: number
}

export function makeCases(seed = 2024): Case[] {
  const random = seededRandom(seed)
  /** In the range face-api's descriptors take (about ±0.25). */
  const randomDescriptor = () => Float32Array.from({ length: descriptorLength }, () => (random() - 0.5) / 2)
  /** A stored descriptor with a little noise: a new photo of someone known. */
  const nearby = (descriptor: Float32Array) => descriptor.map((value) => value + (random() - 0.5) / 20)
  return sizes.map(({ people, perPerson }) => {
    const vectors = Array.from({ length: people }, () => Array.from({ length: perPerson }, randomDescriptor))
    const queries = Array.from({ length: warmUpCount + queryCount }, () =>
      nearby(vectors[Math.floor(random() * people)]![Math.floor(random() * perPerson)]!),
    )
    return { people, perPerson, vectors, queries }
  })
}

export function time(queries: Float32Array[], match: (query: Float32Array) => unknown, budgetMs = Infinity, minQueries = queries.length) {
  const times: number[] = []
  const started = performance.now()
  for (const query of queries) {
    if (times.length >= minQueries && performance.now() - started > budgetMs) break
    const start = performance.now()
    match(query)
    times.push(performance.now() - start)
  }
  return { queries: times.length, medianMs: quantile(times, 0.5)!, p90Ms: quantile(times, 0.9)! }
}

export function timeOnce<T>(make: () => T): { value: T; ms: number } {
  const start = performance.now()
  const value = make()
  return { value, ms: performance.now() - start }
}

export function makeModel(vectors: Float32Array[][]): FaceModel {
  return {
    version: currentModelVersion,
    generation: 0,
    updatedAt: new Date(0).toISOString(),
    people: vectors.map((descriptors, person) => ({
      name: `person-${person}`,
      rejected: [],
      descriptors: descriptors.map((descriptor, index) => ({
        photo: `${index}.jpg`,
        hash: '',
        detector: 'ssd_mobilenetv1' as const,
        box: null,
        descriptor: encodeDescriptor(descriptor),
      })),
    })),
  }
}

// Ours are timed before face-api is loaded: with face-api (and TensorFlow.js) in the process, the
// same loop ran about 40% slower in Node (10 → 14 ms at 100,000), which is not the matcher's doing.
export function timeMatchDescriptor(cases: Case[]): Timing[] {
  return cases.map(({ vectors, queries }) => {
    const model = makeModel(vectors)
    const gallery = timeOnce(() => createGallery(model))
    time(queries.slice(0, warmUpCount), (query) => matchDescriptor(gallery.value, query))
    return { buildMs: gallery.ms, ...time(queries.slice(warmUpCount), (query) => matchDescriptor(gallery.value, query)) }
  })
}

export function timeFaceMatcher(faceapi: FaceMatcherApi, cases: Case[]): Timing[] {
  return cases.map(({ vectors, queries }) => {
    const matcher = timeOnce(
      () => new faceapi.FaceMatcher(vectors.map((descriptors, person) => new faceapi.LabeledFaceDescriptors(`person-${person}`, descriptors))),
    )
    time(queries.slice(0, faceMatcherBudget.warmUp), (query) => matcher.value.findBestMatch(query))
    const timing = time(
      queries.slice(warmUpCount, warmUpCount + faceMatcherBudget.queries),
      (query) => matcher.value.findBestMatch(query),
      faceMatcherBudget.milliseconds,
      faceMatcherBudget.minQueries,
    )
    return { buildMs: matcher.ms, ...timing }
  })
}

export const rounded = (timing: Timing): Timing => ({
  queries: timing.queries,
  buildMs: round(timing.buildMs, 3),
  medianMs: round(timing.medianMs, 3),
  p90Ms: round(timing.p90Ms, 3),
})

export function combine(cases: Case[], ours: Timing[], theirs: Timing[]): MatchResult[] {
  return cases.map(({ people, perPerson }, index) => ({
    descriptors: people * perPerson,
    people,
    perPerson,
    matchDescriptor: rounded(ours[index]!),
    faceMatcher: rounded(theirs[index]!),
    speedup: Math.round((theirs[index]!.medianMs / ours[index]!.medianMs) * 10) / 10,
  }))
}
