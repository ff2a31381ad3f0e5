// Matching as a loop over one flat Float32Array. face-api's FaceMatcher ranks people by the *mean*
// distance to their descriptors, so one odd photo drags a person away, and it copies every stored
// descriptor on each query: hundreds of milliseconds per face against 100,000 descriptors, where this
// loop takes about ten (`npm run bench:match`).
import { decodeDescriptor, descriptorLength, isPlausibleDescriptor } from './descriptor.js'
import { isMatchable, type FaceModel } from './model.js'

/** Every known descriptor, packed row after row, with the person each row belongs to. */
export interface Gallery {
  /** One row of `descriptorLength` numbers per descriptor: row r starts at `r * descriptorLength`. */
  readonly descriptors: Float32Array
  /** For each row, its person's index in `names`. */
  readonly people: Int32Array
  /** One entry per person with at least one descriptor, each name once. */
  readonly names: readonly string[]
}

export interface PersonDistance {
  name: string
  /** The euclidean distance from the query to this person's nearest descriptor. */
  distance: number
}

export interface DecisionRule {
  /** A person is named only when their distance is below this. */
  readonly threshold: number
  /** …and the next person is at least this much further away. */
  readonly margin: number
  /**
   * A face left unknown whose nearest person is closer than `threshold + agreement` is a tentative
   * match: one photo never names it, but live video does when most of a tracked face's recent frames
   * agree on that person (`FaceTracker`). 0 turns this off.
   */
  readonly agreement: number
}

export interface Decision {
  /** null: an unknown face. */
  name: string | null
  /** The best distance, even for an unknown face; null when there was nobody to compare with. */
  distance: number | null
  /** The distance the margin was checked against; null when there was no other person. */
  runnerUp: number | null
  /** For an unknown face: the person it is a tentative match for (see DecisionRule.agreement), else null. */
  tentative: string | null
}

// Measured on the verification pairs and the fixture people (bench/CALIBRATION.md, bench/EVALUATION.md,
// `npm run eval`): at 0.50 no stranger was named and, with three photos a person, every genuine face
// was; face-api's usual 0.6 named 8.3% of strangers. Neither a margin over the runner-up, a per-person
// threshold from the enrollment spread nor a mean descriptor did better at no stranger named.
// Live video adds agreement: most of a tracked face's recent frames within 0.58 of one person name it.
// No stranger's photo set and no stranger in the fixture video agreed that way; a look-alike stranger
// whose photos are 0.54–0.62 from the person he resembles would have at 0.60 (`npm run eval:video`).
export const defaultDecisionRule: DecisionRule = Object.freeze({ threshold: 0.5, margin: 0, agreement: 0.08 })

export function checkDescriptor(descriptor: ArrayLike<number>, what: string): void {
  if (descriptor.length !== descriptorLength) {
    throw new RangeError(`${what} has ${descriptor.length} numbers, not ${descriptorLength}`)
  }
  for (let i = 0; i < descriptorLength; i++) {
    if (!Number.isFinite(descriptor[i])) throw new RangeError(`${what} has a number that is not finite at ${i}`)
  }
}

/** Packs descriptors given with their person's name; rows of the same name belong to one person. */
export function createGalleryFromVectors(entries: readonly { name: string; descriptor: ArrayLike<number> }[]): Gallery {
  const descriptors = new Float32Array(entries.length * descriptorLength)
  const people = new Int32Array(entries.length)
  const names: string[] = []
  const indexOf = new Map<string, number>()
  entries.forEach(({ name, descriptor }, row) => {
    checkDescriptor(descriptor, `The descriptor at ${row} (${name})`)
    let person = indexOf.get(name)
    if (person === undefined) {
      person = names.push(name) - 1
      indexOf.set(name, person)
    }
    descriptors.set(descriptor, row * descriptorLength)
    people[row] = person
  })
  return { descriptors, people, names }
}

/**
 * The gallery of a trained model; people without a descriptor cannot be matched and are left out.
 * So is a descriptor no face has (NaN, ±Infinity) that an older faces.json may hold: one such entry
 * must not keep everyone else from being recognized. A photo flagged as another person's look-alike
 * is left out until it is confirmed or moved: it would name that other person's face.
 */
export function createGallery(model: FaceModel): Gallery {
  return createGalleryFromVectors(
    model.people.flatMap((person) =>
      person.descriptors.flatMap((entry) => {
        if (!isMatchable(entry)) return []
        const descriptor = decodeDescriptor(entry.descriptor)
        return isPlausibleDescriptor(descriptor) ? [{ name: person.name, descriptor }] : []
      }),
    ),
  )
}

/** Orders by distance, then by name in code-point order, which is the same in every browser and Node. */
function compareDistances(a: PersonDistance, b: PersonDistance): number {
  if (a.distance !== b.distance) return a.distance - b.distance
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

/**
 * For each person, the smallest squared distance from `query` to one of their rows. Only typed arrays
 * in here: sharing a function with the ranking below, the loop was deoptimized on every call in some
 * processes and ran four times slower.
 */
export function nearestSquaredDistances(descriptors: Float32Array, people: Int32Array, personCount: number, query: Float64Array): Float64Array {
  const nearest = new Float64Array(personCount).fill(Infinity)
  for (let row = 0, offset = 0; row < people.length; row++, offset += descriptorLength) {
    // Four running sums instead of one let the additions overlap: twice as fast at 100,000 rows
    // (128 is a multiple of 4). They add in another order than euclideanDistance, so the last bits may differ.
    let sum0 = 0
    let sum1 = 0
    let sum2 = 0
    let sum3 = 0
    for (let i = 0; i < descriptorLength; i += 4) {
      const difference0 = query[i]! - descriptors[offset + i]!
      const difference1 = query[i + 1]! - descriptors[offset + i + 1]!
      const difference2 = query[i + 2]! - descriptors[offset + i + 2]!
      const difference3 = query[i + 3]! - descriptors[offset + i + 3]!
      sum0 += difference0 * difference0
      sum1 += difference1 * difference1
      sum2 += difference2 * difference2
      sum3 += difference3 * difference3
    }
    const squared = sum0 + sum1 + sum2 + sum3
    const person = people[row]!
    if (squared < nearest[person]!) nearest[person] = squared
  }
  return nearest
}

/** Every person with their nearest descriptor's distance to `query`, nearest first. */
export function matchDescriptor(gallery: Gallery, query: ArrayLike<number>): PersonDistance[] {
  checkDescriptor(query, 'The query')
  // Float64Array: one fast element type for the loop, and number[] queries keep their precision.
  const nearest = nearestSquaredDistances(gallery.descriptors, gallery.people, gallery.names.length, Float64Array.from(query))
  return rankPeople(gallery.names, nearest)
}

/** People ranked by their nearest squared distance, nearest first: also for a matcher that looks at some rows only. */
export function rankPeople(names: readonly string[], nearestSquared: Float64Array): PersonDistance[] {
  return names.map((name, person) => ({ name, distance: Math.sqrt(nearestSquared[person]!) })).sort(compareDistances)
}

/** Names the nearest person of a ranked list (as matchDescriptor gives it), or calls the face unknown. */
export function decide(ranked: readonly PersonDistance[], rule: DecisionRule): Decision {
  const [best, second] = ranked
  if (!best) return { name: null, distance: null, runnerUp: null, tentative: null }
  const runnerUp = second?.distance ?? null
  const accepted = best.distance < rule.threshold && (runnerUp === null || runnerUp - best.distance >= rule.margin)
  if (accepted) return { name: best.name, distance: best.distance, runnerUp, tentative: null }
  // A face turned down for a rival within the margin is no tentative match either: in doubt, unknown.
  const tentative = best.distance >= rule.threshold ? tentativeName(best, rule) : null
  return { name: null, distance: best.distance, runnerUp, tentative }
}

/** The person a face left unknown is a tentative match for, if any (see DecisionRule.agreement). */
export function tentativeName(nearest: PersonDistance, rule: DecisionRule): string | null {
  return nearest.distance < rule.threshold + rule.agreement ? nearest.name : null
}
