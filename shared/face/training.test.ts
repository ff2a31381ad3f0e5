import { describe, expect, it } from 'vitest'
import { encodeDescriptor } from './descriptor.js'
import type { DescriptorEntry, FaceModel, PersonModel } from './model.js'
import { personChanged } from './training.js'

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
