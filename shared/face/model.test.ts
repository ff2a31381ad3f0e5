import { describe, expect, it } from 'vitest'
import { descriptorEntry, encodedDescriptor, faceModelOf, personModel, rejectedPhoto, seededDescriptor } from '../../tests/support/faces.js'
import { decodeDescriptor, encodeDescriptor } from './descriptor.js'
import {
  emptyModel,
  FaceModelSchema,
  modelLimits,
  parseAnyModel,
  renamedPerson,
  withoutPerson,
  withoutPhotos,
  withoutImplausibleDescriptors,
  withPerson,
  type FaceModel,
} from './model.js'

/** face-api's JSON of a descriptor: a Float32Array becomes {"0": …, "127": …}. */
const legacyObject = (seed: number) => JSON.parse(JSON.stringify(seededDescriptor(seed))) as Record<string, number>
const legacyArray = (seed: number) => Array.from(seededDescriptor(seed))

/** The descriptor of `seed` with one number replaced. */
const descriptorWith = (seed: number, value: number, at = 5) => {
  const descriptor = seededDescriptor(seed)
  descriptor[at] = value
  return descriptor
}

const ada = personModel('Ada', [descriptorEntry('a1.jpg', 1), descriptorEntry('a2.jpg', 2)], [rejectedPhoto('a3.jpg')])
const alan = personModel('Alan', [descriptorEntry('t1.jpg', 3)])
const grace = personModel('Grace', [descriptorEntry('g1.jpg', 4)], [rejectedPhoto('g2.jpg', 'several_faces')])
const validModel = faceModelOf([ada, alan, grace], 7)

describe('FaceModelSchema', () => {
  it('accepts a valid model as it is', () => {
    expect(FaceModelSchema.parse(validModel)).toEqual(validModel)
  })

  it('accepts a model with nobody in it, and the empty model', () => {
    expect(FaceModelSchema.parse(faceModelOf([]))).toEqual(faceModelOf([]))
    expect(FaceModelSchema.parse(emptyModel())).toEqual({ version: 1, generation: 0, updatedAt: '1970-01-01T00:00:00.000Z', people: [] })
  })

  it('fills in no rejections for a person written without the list', () => {
    const { rejected: _rejected, ...withoutList } = alan
    expect(FaceModelSchema.parse({ ...validModel, people: [withoutList] }).people).toEqual([{ ...alan, rejected: [] }])
  })

  const firstEntry = ada.descriptors[0]!

  it("keeps a look-alike flag and a confirmation, which files written before them lack (as validModel's do)", () => {
    const flagged = { ...firstEntry, lookAlike: { person: 'Alan', photo: 't1.jpg', distance: 0.04 } }
    const confirmed = { ...ada.descriptors[1]!, confirmed: true as const }
    const model = { ...validModel, people: [{ ...ada, descriptors: [flagged, confirmed] }] }
    expect(FaceModelSchema.parse(model)).toEqual(model)
  })

  const withEntry = (change: Record<string, unknown>) => ({
    ...validModel,
    people: [{ ...ada, descriptors: [{ ...firstEntry, ...change }] }],
  })
  const { people: _people, ...withoutPeople } = validModel
  const { generation: _generation, ...withoutGeneration } = validModel
  const { version: _version, ...withoutVersion } = validModel
  const { updatedAt: _updatedAt, ...withoutUpdatedAt } = validModel
  const { descriptor: _descriptor, ...entryWithoutDescriptor } = firstEntry
  const { hash: _hash, ...entryWithoutHash } = firstEntry

  it.each([
    { label: 'version 2', model: { ...validModel, version: 2 } },
    { label: 'version "1" as a string', model: { ...validModel, version: '1' } },
    { label: 'no version', model: withoutVersion },
    { label: 'a negative generation', model: { ...validModel, generation: -1 } },
    { label: 'a fractional generation', model: { ...validModel, generation: 1.5 } },
    { label: 'no generation', model: withoutGeneration },
    { label: 'no updatedAt', model: withoutUpdatedAt },
    { label: 'no people', model: withoutPeople },
    { label: 'people that are not a list', model: { ...validModel, people: { Ada: ada } } },
    { label: 'a person without a name', model: { ...validModel, people: [{ ...ada, name: '' }] } },
    { label: 'a person without descriptors', model: { ...validModel, people: [{ name: 'Ada', rejected: [] }] } },
    { label: 'a descriptor that is not base64', model: withEntry({ descriptor: 'not a descriptor' }) },
    { label: 'a descriptor one character short', model: withEntry({ descriptor: firstEntry.descriptor.slice(1) }) },
    { label: 'a descriptor of 513 bytes', model: withEntry({ descriptor: 'A'.repeat(684) }) },
    { label: 'a descriptor as numbers', model: withEntry({ descriptor: legacyArray(1) }) },
    { label: 'an entry without a descriptor', model: { ...validModel, people: [{ ...ada, descriptors: [entryWithoutDescriptor] }] } },
    { label: 'an entry without a hash', model: { ...validModel, people: [{ ...ada, descriptors: [entryWithoutHash] }] } },
    { label: 'an entry without a photo name', model: withEntry({ photo: '' }) },
    { label: 'an unknown detector', model: withEntry({ detector: 'mtcnn' }) },
    { label: 'a look-alike without a person', model: withEntry({ lookAlike: { photo: 't1.jpg', distance: 0.04 } }) },
    { label: 'a look-alike at a negative distance', model: withEntry({ lookAlike: { person: 'Alan', photo: 't1.jpg', distance: -1 } }) },
    { label: 'a confirmation that is not true', model: withEntry({ confirmed: 'yes' }) },
    { label: 'a box of negative width', model: withEntry({ box: { x: 0, y: 0, width: -1, height: 10 } }) },
    { label: 'a box without height', model: withEntry({ box: { x: 0, y: 0, width: 10 } }) },
    { label: 'an unknown rejection reason', model: { ...validModel, people: [{ ...ada, rejected: [{ ...rejectedPhoto('x.jpg'), reason: 'ugly' }] }] } },
    { label: 'the legacy array', model: [{ user: 'Ada', descriptors: [] }] },
    { label: 'null', model: null },
    { label: 'a descriptor of 128 NaN', model: withEntry({ descriptor: encodeDescriptor(new Float32Array(128).fill(Number.NaN)) }) },
    { label: 'a descriptor holding +Infinity', model: withEntry({ descriptor: encodeDescriptor(descriptorWith(1, Infinity)) }) },
    { label: 'a descriptor holding -Infinity', model: withEntry({ descriptor: encodeDescriptor(descriptorWith(1, -Infinity, 127)) }) },
    { label: 'a descriptor holding 1e30', model: withEntry({ descriptor: encodeDescriptor(descriptorWith(1, 1e30, 0)) }) },
  ])('refuses $label', ({ model }) => {
    expect(FaceModelSchema.safeParse(model).success).toBe(false)
  })
})

describe('the model’s limits, checked before its entries', () => {
  const issuesOf = (value: unknown) => {
    const parsed = FaceModelSchema.safeParse(value)
    return parsed.success ? [] : parsed.error.issues.map(({ code, path, message }) => ({ code, path, message }))
  }
  const emptyObjects = (count: number) => Array.from({ length: count }, () => ({}))
  const person = (name: string, descriptors: unknown[], rejected: unknown[] = []) => ({ name, descriptors, rejected })

  it('refuses 8,000,000 people with one issue, without looking at any of them', () => {
    expect(issuesOf(faceModelOf(emptyObjects(8_000_000) as never[]))).toEqual([
      { code: 'too_big', path: ['people'], message: `at most ${modelLimits.people} people` },
    ])
  })

  it('refuses a person with more descriptors or rejections than one may have', () => {
    const tooMany = emptyObjects(modelLimits.entriesPerPerson + 1)
    expect(issuesOf(faceModelOf([person('Ada', tooMany)] as never[]))).toEqual([
      { code: 'too_big', path: ['people', 0, 'descriptors'], message: `at most ${modelLimits.entriesPerPerson} descriptors a person` },
    ])
    expect(issuesOf(faceModelOf([person('Ada', [], tooMany)] as never[]))).toEqual([
      { code: 'too_big', path: ['people', 0, 'rejected'], message: `at most ${modelLimits.entriesPerPerson} rejected photos a person` },
    ])
  })

  it('refuses more descriptors or rejections in all than a model holds, before checking any person', () => {
    const perPerson = modelLimits.entriesPerPerson
    const people = (list: 'descriptors' | 'rejected') =>
      Array.from({ length: modelLimits.entries / perPerson + 1 }, (_, index) =>
        list === 'descriptors' ? person(`P${index}`, emptyObjects(perPerson)) : person(`P${index}`, [], emptyObjects(perPerson)),
      )
    expect(issuesOf(faceModelOf(people('descriptors') as never[]))).toEqual([
      { code: 'too_big', path: ['people'], message: `at most ${modelLimits.entries} descriptors in all` },
    ])
    expect(issuesOf(faceModelOf(people('rejected') as never[]))).toEqual([
      { code: 'too_big', path: ['people'], message: `at most ${modelLimits.entries} rejected photos in all` },
    ])
  })

  it('stops at the first bad entry: 10,000 people of 10 bad descriptors each make one issue', () => {
    const people = Array.from({ length: modelLimits.people }, (_, index) => person(`P${index}`, emptyObjects(10)))
    const issues = issuesOf(faceModelOf(people as never[]))
    expect(issues).toHaveLength(1)
    expect(issues[0]!.path.slice(0, 4)).toEqual(['people', 0, 'descriptors', 0])
  })

  it('accepts a model at every limit', () => {
    const entry = descriptorEntry('p.jpg', 1)
    const full = personModel('Full', Array.from({ length: modelLimits.entriesPerPerson }, (_, index) => ({ ...entry, photo: `${index}.jpg` })))
    const people = [full, ...Array.from({ length: modelLimits.people - 1 }, (_, index) => personModel(`P${index}`, []))]
    expect(issuesOf(faceModelOf(people))).toEqual([])
  })

  it.each([
    { label: '8,000,000 people', legacy: emptyObjects(8_000_000), path: [] },
    { label: 'a person with 10,001 descriptors', legacy: [{ user: 'Ada', descriptors: emptyObjects(10_001) }], path: [0, 'descriptors'] },
  ])('refuses a legacy model of $label with one issue', ({ legacy, path }) => {
    const parsed = parseAnyModel(legacy)
    expect(parsed.success).toBe(false)
    expect(parsed.error!.issues.map((issue) => ({ code: issue.code, path: issue.path }))).toEqual([{ code: 'too_big', path }])
  })
})

describe('parseAnyModel', () => {
  it('reads this app’s model as it is', () => {
    const parsed = parseAnyModel(validModel)
    expect(parsed.success && parsed.data).toEqual(validModel)
  })

  it.each([
    { form: 'the {"0": …} object form', descriptor: legacyObject },
    { form: 'the array form', descriptor: legacyArray },
  ])("imports the reference app's faces.json with descriptors in $form", ({ descriptor }) => {
    const legacy = [
      {
        user: 'Ada Lovelace',
        descriptors: [
          { path: 'data/users/Ada Lovelace/1.jpg', descriptor: descriptor(1) },
          { path: 'C:\\facer\\data\\users\\Ada Lovelace\\2.jpg', descriptor: descriptor(2) },
        ],
      },
      { user: 'Alan Turing', descriptors: [{ path: 'alan.jpg', descriptor: descriptor(3) }] },
      { user: 'Grace Hopper', descriptors: [] },
    ]

    const parsed = parseAnyModel(JSON.parse(JSON.stringify(legacy)))

    if (!parsed.success) throw parsed.error
    const model = parsed.data
    expect(model).toMatchObject({ version: 1, generation: 0 })
    const entry = (photo: string, seed: number) => ({ photo, hash: '', detector: 'unknown', box: null, descriptor: encodedDescriptor(seed) })
    expect(model.people).toEqual([
      { name: 'Ada Lovelace', rejected: [], descriptors: [entry('1.jpg', 1), entry('2.jpg', 2)] },
      { name: 'Alan Turing', rejected: [], descriptors: [entry('alan.jpg', 3)] },
      { name: 'Grace Hopper', rejected: [], descriptors: [] },
    ])
    expect(Array.from(decodeDescriptor(model.people[0]!.descriptors[1]!.descriptor))).toEqual(Array.from(seededDescriptor(2)))
    expect(FaceModelSchema.parse(model)).toEqual(model)
  })

  it('imports an empty legacy model as an empty model', () => {
    const parsed = parseAnyModel([])
    expect(parsed.success && parsed.data.people).toEqual([])
  })

  const numbers127 = legacyArray(1).slice(0, 127)
  const object127 = Object.fromEntries(numbers127.map((value, index) => [String(index), value]))
  const { 64: _missing, ...objectWithGap } = legacyObject(1)

  it.each([
    { label: '127 numbers as an array', descriptor: numbers127 },
    { label: '127 numbers as an object', descriptor: object127 },
    { label: '129 numbers', descriptor: [...legacyArray(1), 0] },
    { label: 'an object missing key "64" but with key "128"', descriptor: { ...objectWithGap, 128: 0 } },
    { label: 'an object with keys that are not indexes', descriptor: { ...objectWithGap, x: 0 } },
    { label: 'strings for numbers', descriptor: legacyArray(1).map(String) },
    { label: 'a base64 string', descriptor: encodedDescriptor(1) },
    { label: '1e308 (Infinity as a float32)', descriptor: legacyArray(1).map((value, index) => (index === 5 ? 1e308 : value)) },
    { label: '3, more than a face gives', descriptor: Array.from(descriptorWith(1, 3)) },
    { label: 'NaN', descriptor: Array.from(descriptorWith(1, Number.NaN)) },
    { label: '-Infinity', descriptor: Array.from(descriptorWith(1, -Infinity, 127)) },
    { label: 'null for a number, as JSON writes NaN', descriptor: JSON.parse(JSON.stringify(Array.from(descriptorWith(1, Number.NaN)))) },
    { label: 'an object with 1e308 at "0"', descriptor: { ...legacyObject(1), 0: 1e308 } },
    { label: 'an object of 2,000,000 keys', descriptor: Object.fromEntries(Array.from({ length: 2_000_000 }, (_, index) => [String(index), 'x'])) },
  ])('refuses a legacy descriptor of $label', ({ descriptor }) => {
    expect(parseAnyModel([{ user: 'Ada', descriptors: [{ path: 'a.jpg', descriptor }] }]).success).toBe(false)
  })

  it.each([
    { label: 'a person without a name', legacy: [{ user: '', descriptors: [] }] },
    { label: 'a person without descriptors', legacy: [{ user: 'Ada' }] },
    { label: 'an entry without a path', legacy: [{ user: 'Ada', descriptors: [{ descriptor: legacyArray(1) }] }] },
    { label: 'an empty path', legacy: [{ user: 'Ada', descriptors: [{ path: '', descriptor: legacyArray(1) }] }] },
  ])('refuses a legacy model with $label', ({ legacy }) => {
    expect(parseAnyModel(legacy).success).toBe(false)
  })

  it.each([null, 'faces', 42, {}, { version: 1 }])('refuses %j', (value) => {
    expect(parseAnyModel(value).success).toBe(false)
  })
})

describe('withoutImplausibleDescriptors', () => {
  const broken = (photo: string, value: number) => ({ ...descriptorEntry(photo, 8), descriptor: encodeDescriptor(descriptorWith(8, value)) })

  it('drops the descriptors no face has, names them, and keeps everything else', () => {
    const bea = personModel('Bea', [broken('b1.jpg', Number.NaN), descriptorEntry('b2.jpg', 6), broken('b3.jpg', Infinity)], [rejectedPhoto('b4.jpg')])
    const cy = personModel('Cy', [broken('c1.jpg', 1e30)])
    const stored = JSON.parse(JSON.stringify(faceModelOf([ada, bea, cy], 4))) as unknown

    const { value, dropped } = withoutImplausibleDescriptors(stored)

    expect(dropped).toEqual(['Bea/b1.jpg', 'Bea/b3.jpg', 'Cy/c1.jpg'])
    expect(FaceModelSchema.parse(value)).toEqual(
      faceModelOf([ada, { ...bea, descriptors: [descriptorEntry('b2.jpg', 6)] }, { ...cy, descriptors: [] }], 4),
    )
    expect(FaceModelSchema.safeParse(stored).success).toBe(false)
  })

  it.each([
    { label: 'a valid model', value: validModel },
    { label: 'a descriptor that is not base64 at all', value: { ...validModel, people: [{ ...ada, descriptors: [{ ...ada.descriptors[0], descriptor: 'nope' }] }] } },
    { label: 'the legacy array', value: [{ user: 'Ada', descriptors: [] }] },
    { label: 'null', value: null },
  ])('returns $label as it is, dropping nothing', ({ value }) => {
    expect(withoutImplausibleDescriptors(value)).toEqual({ value, dropped: [] })
    expect(withoutImplausibleDescriptors(value).value).toBe(value)
  })
})

describe('edits to the model', () => {
  /** A deep copy to compare with afterwards: no edit may change the model it is given. */
  const snapshot = (model: FaceModel) => structuredClone(model)

  describe('withPerson', () => {
    it('adds a person in name order', () => {
      const before = snapshot(validModel)
      const bea = personModel('Bea', [descriptorEntry('b1.jpg', 9)])
      const edited = withPerson(validModel, bea)
      expect(edited.people.map((person) => person.name)).toEqual(['Ada', 'Alan', 'Bea', 'Grace'])
      expect(edited.people[2]).toBe(bea)
      expect(edited).toMatchObject({ version: 1, generation: 7, updatedAt: validModel.updatedAt })
      expect(validModel).toEqual(before)
    })

    it('adds the first person to an empty model', () => {
      expect(withPerson(emptyModel(), alan).people).toEqual([alan])
    })

    it('replaces the entry of a person already there, leaving the others as they were', () => {
      const newAda = personModel('Ada', [descriptorEntry('a9.jpg', 99)])
      const edited = withPerson(validModel, newAda)
      expect(edited.people).toEqual([newAda, alan, grace])
      expect(edited.people[1]).toBe(alan)
      expect(edited.people[2]).toBe(grace)
      expect(validModel.people[0]).toBe(ada)
    })
  })

  describe('withoutPerson', () => {
    it('removes a person', () => {
      const before = snapshot(validModel)
      expect(withoutPerson(validModel, 'Alan').people).toEqual([ada, grace])
      expect(validModel).toEqual(before)
    })

    it.each(['Nobody', 'alan', ''])('returns the very same model for %j, who is not in it', (name) => {
      expect(withoutPerson(validModel, name)).toBe(validModel)
    })
  })

  describe('renamedPerson', () => {
    it('moves the entry to the new name, in name order, with the same descriptors', () => {
      const before = snapshot(validModel)
      const edited = renamedPerson(validModel, 'Ada', 'Zoe')
      expect(edited.people.map((person) => person.name)).toEqual(['Alan', 'Grace', 'Zoe'])
      expect(edited.people[2]).toEqual({ ...ada, name: 'Zoe' })
      expect(validModel).toEqual(before)
    })

    it('follows a change of case only', () => {
      expect(renamedPerson(validModel, 'Alan', 'ALAN').people).toEqual([ada, { ...alan, name: 'ALAN' }, grace])
    })

    it('replaces an entry left under the new name', () => {
      const edited = renamedPerson(validModel, 'Grace', 'Alan')
      expect(edited.people).toEqual([ada, { ...grace, name: 'Alan' }])
    })

    it.each(['Nobody', 'ada'])('returns the very same model when %j is not in it', (from) => {
      expect(renamedPerson(validModel, from, 'Somebody')).toBe(validModel)
    })
  })

  describe('withoutPhotos', () => {
    it('drops descriptors and rejections of the listed photos, and nothing else', () => {
      const before = snapshot(validModel)
      const edited = withoutPhotos(validModel, 'Ada', ['a1.jpg', 'a3.jpg'])
      expect(edited.people).toEqual([{ ...ada, descriptors: [ada.descriptors[1]], rejected: [] }, alan, grace])
      expect(validModel).toEqual(before)
    })

    it('keeps a person whose last photo went, with empty lists', () => {
      expect(withoutPhotos(validModel, 'Alan', ['t1.jpg']).people[1]).toEqual({ name: 'Alan', descriptors: [], rejected: [] })
    })

    it('drops only a rejection when that is all the photo had', () => {
      expect(withoutPhotos(validModel, 'Grace', ['g2.jpg']).people[2]).toEqual({ ...grace, rejected: [] })
    })

    // Looking each photo up in the list made this 20,000 × 300,000 comparisons: a minute, under the model's lock.
    it('drops every listed photo of a person with 10,000 descriptors and 10,000 rejections, given 300,000 names', () => {
      const photos = (prefix: string) => Array.from({ length: 10_000 }, (_, index) => `${prefix}-${index}.jpg`)
      const [trained, rejected] = [photos('t'), photos('r')]
      const trainedEntry = descriptorEntry('photo.jpg', 1)
      const big = personModel('Big', trained.map((photo) => ({ ...trainedEntry, photo })), rejected.map((photo) => rejectedPhoto(photo)))
      const model = faceModelOf([ada, big])
      const listed = [...trained, ...rejected].filter((_, index) => index % 2 === 1)
      const names = [...Array.from({ length: 300_000 - listed.length }, (_, index) => `never-trained-${index}.jpg`), ...listed]

      const edited = withoutPhotos(model, 'Big', names)

      expect(edited.people[0]).toBe(ada)
      expect(edited.people[1]!.descriptors.map((entry) => entry.photo)).toEqual(trained.filter((_, index) => index % 2 === 0))
      expect(edited.people[1]!.rejected.map((entry) => entry.photo)).toEqual(rejected.filter((_, index) => index % 2 === 0))
    })

    it.each([
      { label: 'a person not in the model', name: 'Nobody', photos: ['a1.jpg'] },
      { label: 'photos the person does not have', name: 'Ada', photos: ['t1.jpg', 'g2.jpg'] },
      { label: 'no photos at all', name: 'Ada', photos: [] },
      { label: 'a name in another case', name: 'ada', photos: ['a1.jpg'] },
    ])('returns the very same model for $label', ({ name, photos }) => {
      expect(withoutPhotos(validModel, name, photos)).toBe(validModel)
    })
  })
})
