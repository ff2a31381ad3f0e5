// Matching on the server (`POST /api/faces/match`), with the browser's rule and the browser's
// answers. The browser scans every float32 row for each face (shared/face/match.ts); at 100,000 rows
// that is 51 MB read and 12–19 ms a query. Here each row is also kept as int8 (a quarter of the bytes)
// with the exact size of its rounding error; one SIMD pass over those rows (int8-dots.ts) gives every
// row's distance to within a known bound, and only the rows that bound cannot rule out are measured
// again exactly, by the browser's own loop. No guess of how many to re-check: the bound decides.
import { assignFaces } from '../../shared/face/assign.js'
import { descriptorLength, isPlausibleDescriptor } from '../../shared/face/descriptor.js'
import {
  checkDescriptor,
  createGallery,
  matchDescriptor,
  nearestSquaredDistances,
  rankPeople,
  type Decision,
  type DecisionRule,
  type Gallery,
  type PersonDistance,
} from '../../shared/face/match.js'
import type { FaceModel } from '../../shared/face/model.js'
import { log } from '../logging.js'
import type { Storage } from '../storage/port.js'
import { plainDots, simdDots, type DotsOf } from './int8-dots.js'

const int8Max = 127
/**
 * Floating-point rounding in the bound's own sums (distances of at most 2·√128 apart, float64): far
 * below this, which only widens the rows re-checked, never narrows them.
 */
const roundingSlack = 1e-5

interface Quantised {
  /** round(value / scale) of each number, row after row. */
  readonly values: Int8Array
  readonly scales: Float64Array
  /** The squared length of each row as quantised: scale² · Σ value². */
  readonly lengthsSquared: Float64Array
  /** How far each quantised row lies from the row: ‖row − scale · values‖, exact in float64. */
  readonly errors: Float64Array
}

/** Each row scaled so that its largest number is ±127, rounded; an all-zero row keeps scale 1. */
function quantise(rows: Float32Array | Float64Array, count: number): Quantised {
  const values = new Int8Array(count * descriptorLength)
  const scales = new Float64Array(count)
  const lengthsSquared = new Float64Array(count)
  const errors = new Float64Array(count)
  for (let row = 0, offset = 0; row < count; row++, offset += descriptorLength) {
    let largest = 0
    for (let i = 0; i < descriptorLength; i++) largest = Math.max(largest, Math.abs(rows[offset + i]!))
    const scale = largest > 0 ? largest / int8Max : 1
    let length = 0
    let error = 0
    for (let i = 0; i < descriptorLength; i++) {
      const value = Math.max(-int8Max, Math.min(int8Max, Math.round(rows[offset + i]! / scale)))
      values[offset + i] = value
      length += value * value
      const off = rows[offset + i]! - scale * value
      error += off * off
    }
    scales[row] = scale
    lengthsSquared[row] = scale * scale * length
    errors[row] = Math.sqrt(error)
  }
  return { values, scales, lengthsSquared, errors }
}

/** The gallery of one model generation, ready to match against. */
export class GalleryIndex {
  readonly #gallery: Gallery
  readonly #rows: Quantised
  readonly #dots: DotsOf
  readonly #sums: Int32Array
  readonly #lows: Float64Array

  constructor(
    gallery: Gallery,
    readonly generation: number,
    dots: DotsOf = simdDots() ?? plainDots,
  ) {
    this.#gallery = gallery
    this.#rows = quantise(gallery.descriptors, gallery.people.length)
    this.#dots = dots
    this.#sums = new Int32Array(gallery.people.length)
    this.#lows = new Float64Array(gallery.people.length)
  }

  static ofModel(model: FaceModel, dots?: DotsOf): GalleryIndex {
    return new GalleryIndex(createGallery(model), model.generation, dots)
  }

  get size(): number {
    return this.#gallery.people.length
  }

  /**
   * The `count` people nearest to `query`, with their distances, exactly as the first `count` entries
   * of matchDescriptor's ranking (same loop, same order on ties).
   *
   * With d̃ the distance between query and row as quantised, the true distance d is within
   * e = ‖query − its quantised self‖ + the row's error of d̃ (the triangle inequality, twice). T, the
   * count-th smallest of the people's upper bounds (d̃ + e), is at least the count-th smallest true
   * distance; so each of the `count` nearest people has its nearest row among those with d̃ − e ≤ T,
   * and anyone else found there is no nearer than T. Those rows alone are measured exactly.
   */
  nearestPeople(query: ArrayLike<number>, count: number): PersonDistance[] {
    checkDescriptor(query, 'The query')
    const gallery = this.#gallery
    const personCount = gallery.names.length
    // Within a face's range the bound's sums are well inside float64; past it, the plain scan.
    if (count >= personCount || !isPlausibleDescriptor(query)) return matchDescriptor(gallery, query).slice(0, count)
    const exact = Float64Array.from(query)
    const asked = quantise(exact, 1)
    const queryScale = asked.scales[0]!
    const queryLength = asked.lengthsSquared[0]!
    const queryError = asked.errors[0]! + roundingSlack
    this.#dots(asked.values, this.#rows.values, this.#sums)

    const { scales, lengthsSquared, errors } = this.#rows
    const sums = this.#sums
    const lows = this.#lows
    const highs = new Float64Array(personCount).fill(Infinity)
    for (let row = 0; row < sums.length; row++) {
      const squared = queryLength + lengthsSquared[row]! - 2 * queryScale * scales[row]! * sums[row]!
      const approximate = Math.sqrt(Math.max(0, squared))
      const error = queryError + errors[row]!
      lows[row] = approximate - error
      const person = gallery.people[row]!
      if (approximate + error < highs[person]!) highs[person] = approximate + error
    }
    const bound = smallest(highs, count)

    const rows: number[] = []
    for (let row = 0; row < lows.length; row++) if (lows[row]! <= bound) rows.push(row)
    return this.#measure(rows, exact).slice(0, count)
  }

  /** The people of `rows` ranked by those rows' exact distances, with matchDescriptor's own loop. */
  #measure(rows: readonly number[], query: Float64Array): PersonDistance[] {
    const gallery = this.#gallery
    const descriptors = new Float32Array(rows.length * descriptorLength)
    const people = new Int32Array(rows.length)
    const names: string[] = []
    const local = new Map<number, number>()
    rows.forEach((row, index) => {
      const person = gallery.people[row]!
      let at = local.get(person)
      if (at === undefined) {
        at = names.push(gallery.names[person]!) - 1
        local.set(person, at)
      }
      people[index] = at
      descriptors.set(gallery.descriptors.subarray(row * descriptorLength, (row + 1) * descriptorLength), index * descriptorLength)
    })
    return rankPeople(names, nearestSquaredDistances(descriptors, people, names.length, query))
  }
}

/** The `count`-th smallest value (1 for the smallest); Infinity when there are fewer. */
function smallest(values: Float64Array, count: number): number {
  const kept: number[] = []
  for (const value of values) {
    if (kept.length === count && value >= kept[count - 1]!) continue
    let at = kept.length
    while (at > 0 && kept[at - 1]! > value) at--
    kept.splice(at, 0, value)
    if (kept.length > count) kept.pop()
  }
  return kept.length === count ? kept[count - 1]! : Infinity
}

/**
 * The faces of one picture, named as the browser names them: assignFaces over each face's ranked
 * people. assignFaces reads no further into a face's ranking than one person more than there are
 * faces (margin 0 or more): a face is named from its nearest untaken person, the other faces take at
 * most one person each, and a runner-up or a tentative match is the nearest person not taken. So the
 * nearest faces + 1 people of each face are all it needs, and give the same decisions.
 */
export function matchFaces(index: GalleryIndex, faces: readonly ArrayLike<number>[], rule: DecisionRule): Decision[] {
  return assignFaces(
    faces.map((face) => index.nearestPeople(face, faces.length + 1)),
    rule,
  )
}

/**
 * The index of the current model, per process: built on the first match, built again when the model
 * changes (Storage.watchModel), in this process or any other on the same data.
 */
export class ServerMatcher {
  #index: Promise<GalleryIndex> | null = null
  #stop: (() => void) | null = null

  /**
   * `eager`: the index is built as the process starts and again at once after each change, rather
   * than on the next match (MATCH_ON_SERVER, where every kiosk's first face would wait for it).
   */
  constructor(
    private readonly storage: Storage,
    private readonly eager = false,
  ) {
    if (eager) this.#warm()
  }

  #warm(): void {
    this.current().catch((err: unknown) => log('warn', 'could not build the server matcher index', { error: String(err) }))
  }

  async match(faces: readonly ArrayLike<number>[], rule: DecisionRule): Promise<{ generation: number; decisions: Decision[] }> {
    const index = await this.current()
    return { generation: index.generation, decisions: matchFaces(index, faces, rule) }
  }

  current(): Promise<GalleryIndex> {
    this.#stop ??= this.storage.watchModel((generation) => {
      const seen = this.#index
      // A failed build is forgotten by the catch below, and tried again on the next match.
      void seen?.then(
        (index) => {
          if (index.generation === generation || this.#index !== seen) return
          this.#index = null
          if (this.eager) this.#warm()
        },
        () => {},
      )
    })
    if (!this.#index) {
      const loading = this.storage.readModel().then((model) => GalleryIndex.ofModel(model))
      loading.catch(() => {
        if (this.#index === loading) this.#index = null
      })
      this.#index = loading
    }
    return this.#index
  }

  close(): void {
    this.#stop?.()
    this.#stop = null
  }
}
