import { readFile } from 'node:fs/promises'
import path from 'node:path'
import sharp, { type Sharp } from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { normalisePhoto } from '../../api/photos/image.js'
import { decodePhoto, nodeFaceRuntime } from '../../scripts/lib/node-face.js'
import { facesDir } from '../../tests/support/data.js'
import { enrolDefaults, enrolFace, type EnrolOptions, type FaceRuntime } from './enrol.js'

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
