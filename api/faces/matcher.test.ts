import { describe, expect, it } from 'vitest'
import { assignFaces } from '../../shared/face/assign.js'
import { descriptorLength } from '../../shared/face/descriptor.js'
import { createGalleryFromVectors, defaultDecisionRule, matchDescriptor, type Gallery } from '../../shared/face/match.js'
import { seededRandom } from '../../tests/support/random.js'
import { plainDots, simdDots } from './int8-dots.js'
import { GalleryIndex, matchFaces } from './matcher.js'


interface Model {
  gallery: Gallery
  rows: Float32Array[]
}

/**
 * People whose photos lie near their own center, the way face-api's descriptors of one person do, or
 * (spread 'even') rows all equally far apart: the case where no row can be ruled out cheaply.
 */
function seededModel(seed: number, people: number, perPerson: number, spread: 'people' | 'even'): Model {
  const random = seededRandom(seed)
  const value = () => (random() - 0.5) / 2
  const entries: { name: string; descriptor: Float32Array }[] = []
  for (let person = 0; person < people; person++) {
    const center = Float32Array.from({ length: descriptorLength }, value)
    for (let photo = 0; photo < perPerson; photo++) {
      const descriptor = spread === 'even' ? Float32Array.from({ length: descriptorLength }, value) : center.map((number) => number + (random() - 0.5) / 8)
      entries.push({ name: `person-${person}`, descriptor })
    }
  }
  return { gallery: createGalleryFromVectors(entries), rows: entries.map((entry) => entry.descriptor) }
}

/** Queries near stored rows (known faces), halfway between two (look-alikes), and anywhere (strangers). */
function seededQueries(seed: number, rows: Float32Array[], count: number): Float32Array[] {
  const random = seededRandom(seed)
  const pick = () => rows[Math.floor(random() * rows.length)]!
  return Array.from({ length: count }, (_, index) => {
    const base = pick()
    switch (index % 4) {
      case 0:
        return base.map((number) => number + (random() - 0.5) / 20)
      case 1: {
        const other = pick()
        return base.map((number, i) => (number + other[i]!) / 2)
      }
      case 2:
        return Float32Array.from({ length: descriptorLength }, () => (random() - 0.5) / 2)
      default:
        // A row itself: distance 0, and ties with its own duplicates.
        return Float32Array.from(base)
    }
  })
}

describe('the int8 dot products', () => {
  it('are the same from WebAssembly SIMD as from the plain loop, at the extremes of int8 too', () => {
    const simd = simdDots()
    expect(simd).not.toBeNull()
    const random = seededRandom(7)
    const rows = Int8Array.from({ length: 300 * descriptorLength }, () => Math.round(random() * 254) - 127)
    rows.fill(127, 0, descriptorLength).fill(-127, descriptorLength, 2 * descriptorLength)
    for (const query of [Int8Array.from({ length: descriptorLength }, () => Math.round(random() * 254) - 127), new Int8Array(descriptorLength).fill(-127)]) {
      const plain = new Int32Array(300)
      const fast = new Int32Array(300)
      plainDots(query, rows, plain)
      simd!(query, rows, fast)
      expect(Array.from(fast)).toEqual(Array.from(plain))
    }
  })
})

describe('the server matcher', () => {
  const models = [
    { label: '800 people of 10 photos each', model: () => seededModel(1, 800, 10, 'people') },
    { label: '8,000 rows all far apart', model: () => seededModel(2, 800, 10, 'even') },
    { label: '3 people', model: () => seededModel(3, 3, 4, 'people') },
  ]

  it.each(models)('ranks the nearest people exactly as the browser does, on $label', ({ model }) => {
    const { gallery, rows } = model()
    const index = new GalleryIndex(gallery, 1)
    for (const query of seededQueries(11, rows, 120)) {
      const ranked = matchDescriptor(gallery, query)
      for (const count of [1, 2, 5]) expect(index.nearestPeople(query, count)).toEqual(ranked.slice(0, count))
    }
  }, 60_000)

  it.each(models)('decides every face of a picture as the browser does, on $label', ({ model }) => {
    const { gallery, rows } = model()
    const index = new GalleryIndex(gallery, 1)
    const queries = seededQueries(12, rows, 150)
    // What the browser decides for the faces of one picture (shared/face/recognize.ts, live.ts).
    const ranked = queries.map((query) => matchDescriptor(gallery, query))
    const rules = [defaultDecisionRule, { ...defaultDecisionRule, threshold: 0.7 }, { ...defaultDecisionRule, threshold: 2.4, margin: 0.05 }]
    for (let at = 0, faces = 1; at < queries.length; at += faces, faces = (faces % 5) + 1) {
      const picture = queries.slice(at, at + faces)
      for (const rule of rules) expect(matchFaces(index, picture, rule)).toEqual(assignFaces(ranked.slice(at, at + faces), rule))
    }
  }, 60_000)

  it('takes the plain scan for a query a face cannot have, with the same answer', () => {
    const { gallery } = seededModel(4, 50, 3, 'people')
    const index = new GalleryIndex(gallery, 1)
    const huge = new Float32Array(descriptorLength).fill(1e30)
    expect(index.nearestPeople(huge, 2)).toEqual(matchDescriptor(gallery, huge).slice(0, 2))
    expect(() => index.nearestPeople(new Float32Array(127), 2)).toThrow(RangeError)
  })

  it('answers as the plain loop does where there is no WebAssembly SIMD', () => {
    const { gallery, rows } = seededModel(5, 500, 4, 'people')
    const withSimd = new GalleryIndex(gallery, 1)
    const plain = new GalleryIndex(gallery, 1, plainDots)
    for (const query of seededQueries(13, rows, 50)) expect(plain.nearestPeople(query, 3)).toEqual(withSimd.nearestPeople(query, 3))
  })
})
