import { describe, expect, it } from 'vitest'
import { encodeDescriptor } from './descriptor.js'
import { withPhotoConfirmed, withPhotoMoved, type DescriptorEntry, type FaceModel, type PersonModel } from './model.js'
import { flagLookAlikes, lookAlikeDistance, lookAlikeMessage, personChanged, summarizeModel } from './training.js'

const entry = (photo: string, value: number): DescriptorEntry => ({
  photo,
  hash: `hash-${photo}`,
  detector: 'ssd_mobilenetv1',
  box: null,
  descriptor: encodeDescriptor(new Float32Array(128).fill(value)),
})
const ada: PersonModel = { name: 'Ada', descriptors: [entry('1.jpg', 0.1), entry('2.jpg', 0.2)], rejected: [] }
const model: FaceModel = { version: 1, generation: 3, updatedAt: '2026-11-28T00:00:00.000Z', people: [ada] }

describe('personChanged', () => {
  it('is false for the same entries, in any order', () => {
    expect(personChanged(model, { ...ada, descriptors: [...ada.descriptors].reverse() })).toBe(false)
  })

  it.each([
    ['a new photo', { ...ada, descriptors: [...ada.descriptors, entry('3.jpg', 0.3)] }],
    ['a photo gone', { ...ada, descriptors: [ada.descriptors[0]!] }],
    ['a photo rejected', { ...ada, rejected: [{ photo: '3.jpg', hash: 'h', reason: 'no_face' as const, detail: 'No face' }] }],
    ['a descriptor replaced', { ...ada, descriptors: [ada.descriptors[0]!, entry('2.jpg', 0.25)] }],
    ['someone not in the model', { name: 'Alan', descriptors: [], rejected: [] }],
  ])('is true for %s', (_what, person) => {
    expect(personChanged(model, person)).toBe(true)
  })
})

// Descriptors on one axis: the distance between at(a) and at(b) is |a - b|.
const at = (position: number) => {
  const values = new Float32Array(128)
  values[0] = position
  return encodeDescriptor(values)
}
const photoAt = (photo: string, position: number, extra: Partial<DescriptorEntry> = {}): DescriptorEntry => ({
  photo,
  hash: `hash-${photo}`,
  detector: 'ssd_mobilenetv1',
  box: null,
  descriptor: at(position),
  ...extra,
})
const modelOf = (...people: [string, DescriptorEntry[]][]): FaceModel => ({
  version: 1,
  generation: 1,
  updatedAt: '2026-12-01T00:00:00.000Z',
  people: people.map(([name, descriptors]) => ({ name, descriptors, rejected: [] })),
})
const entryOf = (model: FaceModel, name: string, photo: string) => model.people.find((person) => person.name === name)!.descriptors.find((entry) => entry.photo === photo)!
// Barack has three photos within 0.3 of each other; Ada's photos lie on the other side of his first, obama.jpg.
const obama = (): [string, DescriptorEntry[]] => ['barack_obama', [photoAt('obama.jpg', 0), photoAt('obama2.jpg', 0.3), photoAt('obama3.jpg', 0.2)]]

describe('flagLookAlikes', () => {
  it('flags a photo of one face under a second name, and not the first person\'s own copy', () => {
    const flagged = flagLookAlikes(modelOf(['ada', [photoAt('a.jpg', -0.04)]], obama()), ['ada'])
    expect(entryOf(flagged, 'ada', 'a.jpg').lookAlike).toEqual({ person: 'barack_obama', photo: 'obama.jpg', distance: 0.04 })
    expect(lookAlikeMessage(entryOf(flagged, 'ada', 'a.jpg').lookAlike!)).toBe('looks like barack_obama (0.04): wrong person?')
    expect(flagged.people.find((person) => person.name === 'barack_obama')!.descriptors.every((entry) => !entry.lookAlike)).toBe(true)
  })

  it('flags the photo that is not its own person\'s, whichever of the two was written last', () => {
    // Barack's photos arrive after Ada's: his copy is backed by his other photos, hers by none.
    const flagged = flagLookAlikes(modelOf(['ada', [photoAt('a.jpg', -0.04)]], obama()), ['barack_obama'])
    expect(entryOf(flagged, 'ada', 'a.jpg').lookAlike?.person).toBe('barack_obama')
    expect(entryOf(flagged, 'barack_obama', 'obama.jpg').lookAlike).toBeUndefined()
  })

  it('flags both photos when neither person has another photo to tell whose the face is', () => {
    const flagged = flagLookAlikes(modelOf(['ada', [photoAt('a.jpg', -0.04)]], ['barack_obama', [photoAt('obama.jpg', 0)]]), ['ada'])
    expect(entryOf(flagged, 'ada', 'a.jpg').lookAlike?.person).toBe('barack_obama')
    expect(entryOf(flagged, 'barack_obama', 'obama.jpg').lookAlike?.person).toBe('ada')
  })

  it.each([
    ['just under the limit', lookAlikeDistance - 0.01, true],
    ['just over the limit', lookAlikeDistance + 0.001, false],
    ['farther', 0.8, false],
  ])('at a distance %s: flagged %s', (_what, distance, expected) => {
    const flagged = flagLookAlikes(modelOf(['ada', [photoAt('a.jpg', -distance)]], obama()), ['ada'])
    expect(entryOf(flagged, 'ada', 'a.jpg').lookAlike !== undefined).toBe(expected)
  })

  it('never flags a confirmed photo, and confirming one flags nothing else', () => {
    const confirmed = modelOf(['ada', [photoAt('a.jpg', -0.04, { confirmed: true })]], obama())
    const flagged = flagLookAlikes(confirmed, ['ada', 'barack_obama'])
    expect(flagged).toBe(confirmed)
  })

  it('clears a flag once the photo it pointed at is gone, and follows a rename', () => {
    const flagged = flagLookAlikes(modelOf(['ada', [photoAt('a.jpg', -0.04)]], obama()), ['ada'])
    const renamed = flagLookAlikes(
      { ...flagged, people: flagged.people.map((person) => (person.name === 'barack_obama' ? { ...person, name: 'obama' } : person)) },
      ['obama'],
    )
    expect(entryOf(renamed, 'ada', 'a.jpg').lookAlike?.person).toBe('obama')
    const withoutObama = flagLookAlikes({ ...flagged, people: flagged.people.filter((person) => person.name === 'ada') }, [])
    expect(entryOf(withoutObama, 'ada', 'a.jpg').lookAlike).toBeUndefined()
  })

  it('judges only the entries that are new since `before`, and the flags already set', () => {
    // As a PUT of a whole person sends back every entry: the ones already judged are not judged again.
    const model = modelOf(['ada', [photoAt('a.jpg', -0.04)]], obama())
    expect(flagLookAlikes(model, ['ada'], model)).toBe(model)
    const withNew = modelOf(['ada', [photoAt('a.jpg', -0.04), photoAt('b.jpg', -0.05)]], obama())
    const flagged = flagLookAlikes(withNew, ['ada'], model)
    expect(entryOf(flagged, 'ada', 'b.jpg').lookAlike?.person).toBe('barack_obama')
    expect(entryOf(flagged, 'ada', 'a.jpg').lookAlike).toBeUndefined()
  })

  it("keeps the flags the server set, whatever a client's write of the entries says", () => {
    const flagged = flagLookAlikes(modelOf(['ada', [photoAt('a.jpg', -0.04)]], obama()), ['ada'])
    // A client sends the flagged entry back as confirmed, and a new entry as confirmed: neither sticks.
    const sent = modelOf(['ada', [photoAt('a.jpg', -0.04, { confirmed: true }), photoAt('b.jpg', -0.05, { confirmed: true })]], obama())
    const saved = flagLookAlikes(sent, ['ada'], flagged)
    expect(entryOf(saved, 'ada', 'a.jpg')).toEqual(entryOf(flagged, 'ada', 'a.jpg'))
    expect(entryOf(saved, 'ada', 'b.jpg')).toEqual(photoAt('b.jpg', -0.05, { lookAlike: { person: 'barack_obama', photo: 'obama.jpg', distance: 0.05 } }))
  })

  it('answers the model itself when no flag changes', () => {
    const apart = modelOf(['ada', [photoAt('a.jpg', -1)]], obama())
    expect(flagLookAlikes(apart, ['ada'])).toBe(apart)
  })

  it('moving the photo to the person it looks like clears its flag', () => {
    const flagged = flagLookAlikes(modelOf(['ada', [photoAt('a.jpg', -0.04)]], obama()), ['ada'])
    const moved = flagLookAlikes(withPhotoMoved(flagged, 'ada', 'barack_obama', 'a.jpg'), ['ada', 'barack_obama'])
    expect(moved.people.find((person) => person.name === 'ada')!.descriptors).toEqual([])
    expect(entryOf(moved, 'barack_obama', 'a.jpg')).toEqual(photoAt('a.jpg', -0.04))
  })

  it('confirming keeps the descriptor, drops the flag and marks it', () => {
    const flagged = flagLookAlikes(modelOf(['ada', [photoAt('a.jpg', -0.04)]], obama()), ['ada'])
    const confirmed = flagLookAlikes(withPhotoConfirmed(flagged, 'ada', 'a.jpg'), ['ada'])
    expect(entryOf(confirmed, 'ada', 'a.jpg')).toEqual(photoAt('a.jpg', -0.04, { confirmed: true }))
    expect(summarizeModel(confirmed).people.find((person) => person.name === 'ada')!.usable).toBe(1)
  })
})

describe('summarizeModel', () => {
  it('counts a flagged photo as not usable and names the same face under two names as the cause', () => {
    const summary = summarizeModel(flagLookAlikes(modelOf(['ada', [photoAt('a.jpg', -0.04)]], obama()), ['ada']))
    const ada = summary.people.find((person) => person.name === 'ada')!
    expect(ada).toMatchObject({ usable: 0, usablePhotos: [], needsPhotos: true, flagged: [{ photo: 'a.jpg', lookAlike: { person: 'barack_obama', distance: 0.04 } }] })
    expect(summary.closest[0]).toMatchObject({ a: 'ada', b: 'barack_obama', sameFace: true })
    expect(summary.closest[0]!.distance).toBeCloseTo(0.04, 5)
  })
})
