import { describe, expect, it } from 'vitest'
import { descriptorEntry, faceModelOf, personModel, seededDescriptor } from '../../tests/support/faces.js'
import { decodeDescriptor, descriptorLength, encodeDescriptor, euclideanDistance } from './descriptor.js'
import {
  createGallery,
  createGalleryFromVectors,
  decide,
  defaultDecisionRule,
  matchDescriptor,
  type DecisionRule,
  type PersonDistance,
} from './match.js'

/**
 * A descriptor that is zero but for the given positions. Its numbers are sums of a few powers of
 * two, so every squared distance between such vectors is exact and so is each sqrt used below.
 */
function vector(values: Record<number, number> = {}): Float32Array {
  const descriptor = new Float32Array(descriptorLength)
  for (const [index, value] of Object.entries(values)) descriptor[Number(index)] = value
  return descriptor
}

const origin = vector()

const bitsOf = (values: Float32Array) => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length))

const entry = (name: string, values: Record<number, number>) => ({ name, descriptor: vector(values) })

describe('createGalleryFromVectors', () => {
  it('packs the descriptors row after row, with one index per person in the order names first appear', () => {
    const gallery = createGalleryFromVectors([entry('bob', { 0: 1 }), entry('ann', { 1: 2 }), entry('bob', { 127: 3 })])
    expect(gallery.names).toEqual(['bob', 'ann'])
    expect(Array.from(gallery.people)).toEqual([0, 1, 0])
    expect(gallery.descriptors).toHaveLength(3 * descriptorLength)
    expect(Array.from(gallery.descriptors.subarray(0, descriptorLength))).toEqual(Array.from(vector({ 0: 1 })))
    expect(Array.from(gallery.descriptors.subarray(descriptorLength, 2 * descriptorLength))).toEqual(Array.from(vector({ 1: 2 })))
    expect(Array.from(gallery.descriptors.subarray(2 * descriptorLength))).toEqual(Array.from(vector({ 127: 3 })))
  })

  it('copies the descriptors: changing one afterwards changes nothing in the gallery', () => {
    const descriptor = vector({ 0: 0.5 })
    const gallery = createGalleryFromVectors([{ name: 'ann', descriptor }])
    descriptor[0] = 9
    expect(gallery.descriptors[0]).toBe(0.5)
  })

  it('takes plain arrays of numbers as well as typed arrays', () => {
    const numbers = Array.from({ length: descriptorLength }, (_, i) => i / 8)
    const gallery = createGalleryFromVectors([{ name: 'ann', descriptor: numbers }])
    expect(Array.from(gallery.descriptors)).toEqual(numbers)
  })

  it('makes an empty gallery of no descriptors', () => {
    const gallery = createGalleryFromVectors([])
    expect(gallery.names).toEqual([])
    expect(gallery.people).toHaveLength(0)
    expect(gallery.descriptors).toHaveLength(0)
  })

  it.each([
    ['too short', new Float32Array(127), 'The descriptor at 1 (bob) has 127 numbers, not 128'],
    ['too long', new Float32Array(129), 'The descriptor at 1 (bob) has 129 numbers, not 128'],
    ['NaN', vector({ 5: Number.NaN }), 'The descriptor at 1 (bob) has a number that is not finite at 5'],
    ['Infinity', vector({ 127: -Infinity }), 'The descriptor at 1 (bob) has a number that is not finite at 127'],
  ])('refuses a descriptor that is %s', (_, descriptor, message) => {
    expect(() => createGalleryFromVectors([entry('ann', {}), { name: 'bob', descriptor }])).toThrow(new RangeError(message))
  })
})

describe('createGallery', () => {
  it("holds every descriptor of every person, bit for bit, in the model's order", () => {
    const model = faceModelOf([
      personModel('ann', [descriptorEntry('a1.jpg', 1), descriptorEntry('a2.jpg', 2)]),
      personModel('bob', [descriptorEntry('b1.jpg', 3)]),
    ])
    const gallery = createGallery(model)
    expect(gallery.names).toEqual(['ann', 'bob'])
    expect(Array.from(gallery.people)).toEqual([0, 0, 1])
    const rows = [1, 2, 3].map((row) => gallery.descriptors.subarray((row - 1) * descriptorLength, row * descriptorLength))
    expect(rows.map(bitsOf)).toEqual([1, 2, 3].map((seed) => bitsOf(seededDescriptor(seed))))
  })

  it('leaves out people who have no descriptor yet, since nobody can be matched with them', () => {
    const model = faceModelOf([
      personModel('ann', []),
      personModel('bob', [descriptorEntry('b1.jpg', 3)]),
      personModel('cy', []),
    ])
    const gallery = createGallery(model)
    expect(gallery.names).toEqual(['bob'])
    expect(Array.from(gallery.people)).toEqual([0])
    expect(matchDescriptor(gallery, origin).map(({ name }) => name)).toEqual(['bob'])
  })

  it("leaves out a photo flagged as another person's look-alike until it is confirmed, so it names nobody", () => {
    const flagged = { ...descriptorEntry('a2.jpg', 3), lookAlike: { person: 'bob', photo: 'b1.jpg', distance: 0 } }
    const model = faceModelOf([personModel('ann', [descriptorEntry('a1.jpg', 1), flagged]), personModel('bob', [descriptorEntry('b1.jpg', 3)])])
    const [nearest] = matchDescriptor(createGallery(model), seededDescriptor(3))
    expect(nearest).toEqual({ name: 'bob', distance: 0 })
    expect(createGallery(model).people).toHaveLength(2)
    const { lookAlike: _flag, ...confirmed } = flagged
    const afterConfirm = faceModelOf([personModel('ann', [descriptorEntry('a1.jpg', 1), { ...confirmed, confirmed: true }]), personModel('bob', [])])
    expect(matchDescriptor(createGallery(afterConfirm), seededDescriptor(3))[0]).toEqual({ name: 'ann', distance: 0 })
  })

  it('makes an empty gallery of an empty model', () => {
    const gallery = createGallery(faceModelOf([]))
    expect(gallery.names).toEqual([])
    expect(gallery.descriptors).toHaveLength(0)
  })

  it.each([
    { label: 'NaN', value: Number.NaN },
    { label: '+Infinity', value: Infinity },
    { label: '-Infinity', value: -Infinity },
    { label: 'a number no face gives', value: 1e30 },
  ])('leaves out a stored descriptor holding $label, and matches with the others', ({ value }) => {
    const broken = { ...descriptorEntry('b1.jpg', 3), descriptor: encodeDescriptor(vector({ 3: value })) }
    const bob = descriptorEntry('b2.jpg', 4)
    const model = faceModelOf([personModel('ann', [descriptorEntry('a1.jpg', 1)]), personModel('bob', [broken, bob]), personModel('cy', [broken])])
    const gallery = createGallery(model)
    expect(gallery.names).toEqual(['ann', 'bob'])
    expect(Array.from(gallery.people)).toEqual([0, 1])
    const [nearest] = matchDescriptor(gallery, decodeDescriptor(bob.descriptor))
    expect(nearest).toEqual({ name: 'bob', distance: 0 })
  })
})

describe('matchDescriptor', () => {
  it('gives each person the distance to their nearest descriptor, nearest person first', () => {
    const gallery = createGalleryFromVectors([
      entry('ann', { 0: 0.5 }),
      entry('bob', { 0: 0.375, 1: 0.5 }), // 0.625 from the origin (3-4-5)
      entry('ann', { 1: 0.25 }),
      entry('cy', { 2: -1 }),
      entry('bob', { 2: 0.75, 3: 1 }), // 1.25
    ])
    expect(matchDescriptor(gallery, origin)).toEqual([
      { name: 'ann', distance: 0.25 },
      { name: 'bob', distance: 0.625 },
      { name: 'cy', distance: 1 },
    ])
  })

  it("ranks by the nearest descriptor, not the mean: one close photo wins over many middling ones", () => {
    // Means: ann (0.125 + 1 + 1) / 3 ≈ 0.71, bob 0.5. face-api's FaceMatcher would say bob.
    const gallery = createGalleryFromVectors([
      entry('ann', { 0: 0.125 }),
      entry('ann', { 0: 1 }),
      entry('ann', { 1: 1 }),
      entry('bob', { 0: 0.5 }),
      entry('bob', { 1: 0.5 }),
    ])
    expect(matchDescriptor(gallery, origin)).toEqual([
      { name: 'ann', distance: 0.125 },
      { name: 'bob', distance: 0.5 },
    ])
  })

  it('finds distance 0 for a query equal to a stored descriptor', () => {
    const stored = seededDescriptor(7)
    const gallery = createGalleryFromVectors([
      { name: 'ann', descriptor: seededDescriptor(6) },
      { name: 'bob', descriptor: stored },
    ])
    expect(matchDescriptor(gallery, stored)[0]).toEqual({ name: 'bob', distance: 0 })
  })

  it('orders equal distances by name, in code-point order, whatever order the gallery has', () => {
    const entries = [
      entry('bob', { 0: 0.5 }),
      entry('Zoe', { 1: 0.5 }),
      entry('ann', { 2: -0.5 }),
      entry('Émile', { 3: 0.5 }),
      entry('cy', { 4: 0.25 }),
    ]
    const expected: PersonDistance[] = [
      { name: 'cy', distance: 0.25 },
      { name: 'Zoe', distance: 0.5 },
      { name: 'ann', distance: 0.5 },
      { name: 'bob', distance: 0.5 },
      { name: 'Émile', distance: 0.5 },
    ]
    expect(matchDescriptor(createGalleryFromVectors(entries), origin)).toEqual(expected)
    expect(matchDescriptor(createGalleryFromVectors([...entries].reverse()), origin)).toEqual(expected)
  })

  it('gives nobody for an empty gallery', () => {
    expect(matchDescriptor(createGalleryFromVectors([]), seededDescriptor(1))).toEqual([])
    expect(matchDescriptor(createGallery(faceModelOf([])), seededDescriptor(1))).toEqual([])
  })

  it('agrees with euclideanDistance and a brute-force ranking on random descriptors', () => {
    const names = ['ann', 'bob', 'cy', 'dee', 'eve']
    const entries = Array.from({ length: 60 }, (_, row) => ({ name: names[(row * 7) % names.length]!, descriptor: seededDescriptor(100 + row) }))
    const gallery = createGalleryFromVectors(entries)
    for (const seed of [1, 2, 3, 4, 5]) {
      const query = seededDescriptor(seed)
      const expected = names
        .map((name) => ({
          name,
          distance: Math.min(...entries.filter((e) => e.name === name).map((e) => euclideanDistance(query, e.descriptor))),
        }))
        .sort((a, b) => a.distance - b.distance)
      const ranked = matchDescriptor(gallery, query)
      expect(ranked.map(({ name }) => name)).toEqual(expected.map(({ name }) => name))
      ranked.forEach(({ distance }, index) => expect(distance).toBeCloseTo(expected[index]!.distance, 12))
    }
  })

  it('keeps the full precision of a query of plain numbers', () => {
    const query = Array.from({ length: descriptorLength }, (_, i) => 0.1 * Math.sin(i))
    const stored = seededDescriptor(9)
    const [match] = matchDescriptor(createGalleryFromVectors([{ name: 'ann', descriptor: stored }]), query)
    expect(match!.distance).toBeCloseTo(euclideanDistance(query, stored), 14)
    expect(match!.distance).not.toBeCloseTo(euclideanDistance(Float32Array.from(query), stored), 10)
  })

  it('leaves the query and the gallery as they were', () => {
    const gallery = createGalleryFromVectors([entry('ann', { 0: 0.5 })])
    const before = Array.from(gallery.descriptors)
    const query = vector({ 0: 0.25 })
    matchDescriptor(gallery, query)
    expect(Array.from(query)).toEqual(Array.from(vector({ 0: 0.25 })))
    expect(Array.from(gallery.descriptors)).toEqual(before)
  })

  it.each([
    ['too short', new Float32Array(64), 'The query has 64 numbers, not 128'],
    ['NaN', vector({ 0: Number.NaN }), 'The query has a number that is not finite at 0'],
    ['Infinity', vector({ 99: Infinity }), 'The query has a number that is not finite at 99'],
  ])('refuses a query that is %s, even against an empty gallery', (_, query, message) => {
    expect(() => matchDescriptor(createGalleryFromVectors([]), query)).toThrow(new RangeError(message))
    expect(() => matchDescriptor(createGalleryFromVectors([entry('ann', {})]), query)).toThrow(new RangeError(message))
  })

  it('ranks the descriptors of a real model file the same way after decoding', () => {
    const model = faceModelOf([
      personModel('ann', [descriptorEntry('a1.jpg', 11), descriptorEntry('a2.jpg', 12)]),
      personModel('bob', [descriptorEntry('b1.jpg', 13)]),
    ])
    const query = decodeDescriptor(model.people[1]!.descriptors[0]!.descriptor)
    const ranked = matchDescriptor(createGallery(model), query)
    expect(ranked[0]).toEqual({ name: 'bob', distance: 0 })
    expect(ranked[1]!.name).toBe('ann')
    expect(ranked[1]!.distance).toBeCloseTo(
      Math.min(euclideanDistance(query, seededDescriptor(11)), euclideanDistance(query, seededDescriptor(12))),
      12,
    )
  })
})

describe('decide', () => {
  const rule: DecisionRule = { threshold: 0.5, margin: 0.125, agreement: 0 }
  const ranked = (...pairs: [string, number][]): PersonDistance[] => pairs.map(([name, distance]) => ({ name, distance }))

  it.each<[string, PersonDistance[], DecisionRule, ReturnType<typeof decide>]>([
    ['nobody to compare with', [], rule, { name: null, distance: null, runnerUp: null, tentative: null }],
    ['one person under the threshold', ranked(['ann', 0.25]), rule, { name: 'ann', distance: 0.25, runnerUp: null, tentative: null }],
    ['one person at the threshold', ranked(['ann', 0.5]), rule, { name: null, distance: 0.5, runnerUp: null, tentative: null }],
    ['one person over the threshold', ranked(['ann', 0.75]), rule, { name: null, distance: 0.75, runnerUp: null, tentative: null }],
    ['a runner-up exactly the margin away', ranked(['ann', 0.25], ['bob', 0.375]), rule, { name: 'ann', distance: 0.25, runnerUp: 0.375, tentative: null }],
    ['a runner-up further than the margin', ranked(['ann', 0.25], ['bob', 0.5], ['cy', 2]), rule, { name: 'ann', distance: 0.25, runnerUp: 0.5, tentative: null }],
    ['a runner-up closer than the margin', ranked(['ann', 0.25], ['bob', 0.3125]), rule, { name: null, distance: 0.25, runnerUp: 0.3125, tentative: null }],
    ['a far-off runner-up but a best over the threshold', ranked(['ann', 0.625], ['bob', 2]), rule, { name: null, distance: 0.625, runnerUp: 2, tentative: null }],
    ['a runner-up over the threshold still counting for the margin', ranked(['ann', 0.4375], ['bob', 0.5]), rule, { name: null, distance: 0.4375, runnerUp: 0.5, tentative: null }],
    ['an exact tie and a margin', ranked(['ann', 0.25], ['bob', 0.25]), rule, { name: null, distance: 0.25, runnerUp: 0.25, tentative: null }],
    ['an exact tie and no margin: the first in the ranking', ranked(['ann', 0.25], ['bob', 0.25]), { threshold: 0.5, margin: 0, agreement: 0 }, { name: 'ann', distance: 0.25, runnerUp: 0.25, tentative: null }],
    ['distance 0', ranked(['ann', 0], ['bob', 0.125]), rule, { name: 'ann', distance: 0, runnerUp: 0.125, tentative: null }],
  ])('%s', (_, list, decisionRule, expected) => {
    expect(decide(list, decisionRule)).toEqual(expected)
  })

  describe('tentative matches', () => {
    // Named at 0.5, tentative up to 0.625: every distance below is exact in binary.
    const agreeing: DecisionRule = { threshold: 0.5, margin: 0, agreement: 0.125 }
    const agreementOff: DecisionRule = { ...agreeing, agreement: 0 }

    it.each<[string, PersonDistance[], DecisionRule, ReturnType<typeof decide>]>([
      ['at the threshold', ranked(['ann', 0.5], ['bob', 1]), agreeing, { name: null, distance: 0.5, runnerUp: 1, tentative: 'ann' }],
      ['just under threshold + agreement', ranked(['ann', 0.6240234375], ['bob', 1]), agreeing, { name: null, distance: 0.6240234375, runnerUp: 1, tentative: 'ann' }],
      ['at threshold + agreement', ranked(['ann', 0.625], ['bob', 1]), agreeing, { name: null, distance: 0.625, runnerUp: 1, tentative: null }],
      ['over threshold + agreement', ranked(['ann', 0.75]), agreeing, { name: null, distance: 0.75, runnerUp: null, tentative: null }],
      ['a named face', ranked(['ann', 0.4375], ['bob', 0.5625]), agreeing, { name: 'ann', distance: 0.4375, runnerUp: 0.5625, tentative: null }],
      ['agreement 0, at the threshold', ranked(['ann', 0.5], ['bob', 1]), agreementOff, { name: null, distance: 0.5, runnerUp: 1, tentative: null }],
      ['agreement 0, within what agreement 0.125 allows', ranked(['ann', 0.5625]), agreementOff, { name: null, distance: 0.5625, runnerUp: null, tentative: null }],
    ])('%s', (_, list, decisionRule, expected) => {
      expect(decide(list, decisionRule)).toEqual(expected)
    })
  })

  it('names the nearest person of a matched gallery', () => {
    const gallery = createGalleryFromVectors([entry('ann', { 0: 0.25 }), entry('bob', { 0: -0.5 })])
    expect(decide(matchDescriptor(gallery, origin), rule)).toEqual({ name: 'ann', distance: 0.25, runnerUp: 0.5, tentative: null })
  })

  it('has a default rule that cannot be changed by accident', () => {
    expect(Object.isFrozen(defaultDecisionRule)).toBe(true)
  })
})
