import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { normalizePhoto } from '../../api/photos/image.js'
import { decodePhoto, nodeFaceRuntime } from '../../api/faces/node-runtime.js'
import { facesDir } from '../../tests/support/data.js'
import { enrollFace, type FaceRuntime } from './enroll.js'
import { createGalleryFromVectors, defaultDecisionRule, matchDescriptor, type Gallery } from './match.js'
import { recognizeFaces, type RecognitionOptions } from './recognize.js'

// The same code as the Recognize page, in Node with the real networks, on a real group photo.
describe('recognizeFaces', () => {
  let runtime: FaceRuntime
  let gallery: Gallery
  const photoOptions: RecognitionOptions = { detector: 'ssd_mobilenetv1', recognition: true, landmarks: false, expressions: false }

  beforeAll(async () => {
    runtime = await nodeFaceRuntime()
    const enrolled = []
    for (const [name, photo] of [
      ['barack_obama', 'people/barack_obama/obama.jpg'],
      ['joe_biden', 'people/joe_biden/biden2.jpg'],
    ] as const) {
      const image = await decodePhoto(await normalizePhoto(await readFile(path.join(facesDir, photo)), photo))
      const result = await enrollFace(runtime, image)
      image.dispose()
      if (!result.ok) throw new Error(`${photo}: ${result.detail}`)
      enrolled.push({ name, descriptor: result.descriptor })
    }
    gallery = createGalleryFromVectors(enrolled)
  }, 60_000)

  async function onGroupPhoto<T>(run: (image: Awaited<ReturnType<typeof decodePhoto>>) => Promise<T>): Promise<T> {
    const image = await decodePhoto(path.join(facesDir, 'groups/two_people.jpg'))
    try {
      return await run(image)
    } finally {
      image.dispose()
    }
  }

  it("names both people with exactly the distances of face-api's own descriptor pipeline", async () => {
    const faces = await onGroupPhoto((image) => recognizeFaces(runtime, image, gallery, defaultDecisionRule, photoOptions))
    const reference = await onGroupPhoto(async (image) =>
      await runtime.faceapi
        .detectAllFaces(image as never, new runtime.faceapi.SsdMobilenetv1Options({ minConfidence: 0.4, maxResults: 50 }))
        .withFaceLandmarks()
        .withFaceDescriptors(),
    )
    const byX = [...faces].sort((a, b) => a.box.x - b.box.x)
    expect(byX.map((face) => [face.decision.name, face.described])).toEqual([
      ['barack_obama', true],
      ['joe_biden', true],
    ])
    const referenceDistances = [...reference]
      .sort((a, b) => a.detection.box.x - b.detection.box.x)
      .map((face) => matchDescriptor(gallery, face.descriptor)[0]!.distance)
    byX.forEach((face, index) => expect(face.decision.distance).toBeCloseTo(referenceDistances[index]!, 6))
  }, 60_000)

  it('gives no descriptor and no decision to the faces the caller turns down', async () => {
    const asked: number[] = []
    const faces = await onGroupPhoto((image) =>
      recognizeFaces(runtime, image, gallery, defaultDecisionRule, photoOptions, (_box, index) => {
        asked.push(index)
        return index === 0
      }),
    )
    expect(asked).toEqual([0, 1])
    expect(faces.map((face) => face.described)).toEqual([true, false])
    expect(faces[0]!.decision.name).not.toBeNull()
    expect(faces[1]!.decision).toEqual({ name: null, distance: null, runnerUp: null, tentative: null })
  }, 60_000)

  it('computes no descriptor without a gallery, and with recognition off', async () => {
    const noGallery = await onGroupPhoto((image) => recognizeFaces(runtime, image, null, defaultDecisionRule, photoOptions, () => expect.unreachable()))
    const off = await onGroupPhoto((image) =>
      recognizeFaces(runtime, image, gallery, defaultDecisionRule, { ...photoOptions, recognition: false, landmarks: true }, () => expect.unreachable()),
    )
    expect(noGallery.map((face) => face.described)).toEqual([false, false])
    expect(off.map((face) => [face.described, face.landmarks?.length])).toEqual([
      [false, 68],
      [false, 68],
    ])
  }, 60_000)
})
