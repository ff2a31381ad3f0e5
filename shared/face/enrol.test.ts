import { readFile } from 'node:fs/promises'
import path from 'node:path'
import sharp, { type Sharp } from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { normalisePhoto } from '../../api/photos/image.js'
import { decodePhoto, nodeFaceRuntime } from '../../scripts/lib/node-face.js'
import { facesDir } from '../../tests/support/data.js'
import { decodeDescriptor, euclideanDistance } from './descriptor.js'
import { enrolDefaults, enrolFace, toModelEntry, unturnedBox, type EnrolOptions, type FaceRuntime } from './enrol.js'
import type { DescriptorEntry, PersonModel } from './model.js'
import { recordResult, secondLookAtSideways } from './training.js'

describe('enrolFace', () => {
  let runtime: FaceRuntime

  beforeAll(async () => {
    runtime = await nodeFaceRuntime()
  }, 60_000)

  const asIs = (image: Sharp) => image
  const withoutRetries: EnrolOptions = { ...enrolDefaults, retries: [] }

  async function enrol(photo: string, change: (image: Sharp) => Sharp = asIs, options: EnrolOptions = enrolDefaults) {
    const stored = await normalisePhoto(await readFile(path.join(facesDir, photo)), photo)
    const image = await decodePhoto(await change(sharp(stored)).toBuffer())
    try {
      return await enrolFace(runtime, image, options)
    } finally {
      image.dispose()
    }
  }

  it('finds the one face of a portrait, with its box and a 128-number descriptor', async () => {
    const result = await enrol('people/barack_obama/obama_small.jpg')
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.detector).toBe('ssd_mobilenetv1')
    expect(result.descriptor).toHaveLength(128)
    expect(result.note).toBeUndefined()
    expect(Math.min(result.box.width, result.box.height)).toBeGreaterThanOrEqual(enrolDefaults.minFaceSize)
    expect(result.sharpness).toBeGreaterThanOrEqual(enrolDefaults.minSharpness)
  })

  it('finds the face of a dark photo on a retry, and says what was done', async () => {
    const photo = 'people/kit_harington/johnsnow_test1.jpg'
    expect(await enrol(photo, asIs, withoutRetries)).toEqual({ ok: false, reason: 'no_face', detail: 'No face was found in this photo' })
    const retried = await enrol(photo)
    expect(retried.ok).toBe(true)
    if (!retried.ok) return
    expect(retried.detector).toBe('ssd_mobilenetv1')
    expect(retried.note).toBe('Found on a second look, with a lower detector confidence (0.2)')
    expect(Math.min(retried.box.width, retried.box.height)).toBeGreaterThanOrEqual(enrolDefaults.minFaceSize)
  })

  const rejections = [
    ['groups/two_people.jpg', 'as stored', asIs, 'several_faces', '2 faces of similar size: use a photo of this person alone'],
    ['people/joe_biden/biden.jpg', 'as stored', asIs, 'face_too_small', 'The face is 28 px across; at least 32 px is needed'],
    ['people/barack_obama/obama_small.jpg', 'blurred', (image: Sharp) => image.blur(2), 'too_blurry', 'The face is too blurred'],
    [
      'people/barack_obama/obama.jpg',
      'its top-left corner only',
      (image: Sharp) => image.extract({ left: 0, top: 0, width: 120, height: 120 }),
      'no_face',
      'No face was found in this photo',
    ],
  ] as const

  it.each(rejections)('rejects %s, %s', async (photo, _how, change, reason, detail) => {
    const result = await enrol(photo, change)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.reason).toBe(reason)
    expect(result.detail).toContain(detail)
  })

  it.each(rejections)('without retries, rejects %s, %s, as before', async (photo, _how, change, reason, detail) => {
    const result = await enrol(photo, change, withoutRetries)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.reason).toBe(reason)
    expect(result.detail).toContain(detail)
  })

  it('says that the retries found no face either, only when there were retries', async () => {
    const corner = (image: Sharp) => image.extract({ left: 0, top: 0, width: 120, height: 120 })
    const withRetries = await enrol('people/barack_obama/obama.jpg', corner)
    const without = await enrol('people/barack_obama/obama.jpg', corner, withoutRetries)
    expect(withRetries).toMatchObject({ ok: false, reason: 'no_face', detail: expect.stringContaining('No face was found in this photo, nor on retries') })
    expect(without).toEqual({ ok: false, reason: 'no_face', detail: 'No face was found in this photo' })
  })
})

describe('unturnedBox', () => {
  // A 320x247 photo turned 90° clockwise is 247x320: its top-left corner comes from the photo's bottom-left.
  const photo = { width: 320, height: 247 }
  it.each([
    [90, { x: 0, y: 0, width: 10, height: 20 }, { x: 0, y: 237, width: 20, height: 10 }],
    [270, { x: 0, y: 0, width: 10, height: 20 }, { x: 300, y: 0, width: 20, height: 10 }],
    [90, { x: 137, y: 40, width: 80, height: 60 }, { x: 40, y: 30, width: 60, height: 80 }],
  ] as const)('maps a box found in the copy turned %i° back onto the photo', (rotation, turned, original) => {
    expect(unturnedBox(turned, rotation, photo)).toEqual(original)
  })
})

// The second look that every trainer takes after its first pass, on real photos with the real networks.
describe('secondLookAtSideways', () => {
  let runtime: FaceRuntime

  beforeAll(async () => {
    runtime = await nodeFaceRuntime()
  }, 60_000)

  async function stored(photo: string, turn = 0): Promise<Buffer> {
    const bytes = await normalisePhoto(await readFile(path.join(facesDir, photo)), photo)
    return turn ? sharp(bytes).rotate(turn).toBuffer() : bytes
  }

  async function entry(photo: string, bytes: Buffer) {
    const image = await decodePhoto(bytes)
    try {
      return toModelEntry({ photo, hash: photo }, await enrolFace(runtime, image))
    } finally {
      image.dispose()
    }
  }

  it.each(['people/barack_obama/obama_small.jpg', 'people/barack_obama/obama2.jpg'])(
    'reads %s, turned sideways, from the copy whose face is like the person’s other photos',
    async (sidewaysPhoto) => {
      const upright = ['people/barack_obama/obama.jpg', 'people/barack_obama/obama1.jpg', 'people/barack_obama/obama2.jpg', 'people/barack_obama/obama_small.jpg'].filter(
        (photo) => photo !== sidewaysPhoto,
      )
      let person: PersonModel = { name: 'barack_obama', descriptors: [], rejected: [] }
      for (const photo of upright) person = recordResult(person, await entry(photo, await stored(photo)))
      const sideways = await stored(sidewaysPhoto, 90)
      person = recordResult(person, await entry('sideways.jpg', sideways))
      const firstPass = [...person.descriptors, ...person.rejected].find((result) => result.photo === 'sideways.jpg')!

      const after = await secondLookAtSideways(runtime, person, [{ person: 'barack_obama', photo: 'sideways.jpg', hash: 'x' }], () => decodePhoto(sideways))
      const read = after.descriptors.find((result) => result.photo === 'sideways.jpg')
      expect(read?.note, `first pass: ${JSON.stringify({ ...firstPass, descriptor: undefined })}`).toMatch(/^The photo is sideways: read from a copy turned 90° anticlockwise/)
      const uprightDescriptor = decodeDescriptor((await entry(sidewaysPhoto, await stored(sidewaysPhoto)) as DescriptorEntry).descriptor)
      expect(euclideanDistance(decodeDescriptor(read!.descriptor), uprightDescriptor)).toBeLessThan(0.3)
      // The box is in the sideways photo's own coordinates: 247 wide, 320 high.
      expect(read!.box!.x + read!.box!.width).toBeLessThanOrEqual(247)
      expect(read!.box!.y + read!.box!.height).toBeLessThanOrEqual(320)
    },
    60_000,
  )

  it('leaves a photo alone when the person has no other photo to judge it by', async () => {
    const sideways = await stored('people/barack_obama/obama_small.jpg', 90)
    const person = recordResult({ name: 'barack_obama', descriptors: [], rejected: [] }, await entry('sideways.jpg', sideways))
    const after = await secondLookAtSideways(runtime, person, [{ person: 'barack_obama', photo: 'sideways.jpg', hash: 'x' }], () => decodePhoto(sideways))
    expect(after).toBe(person)
  })
})
