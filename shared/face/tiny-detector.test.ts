import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { decodePhoto, nodeFaceRuntime } from '../../api/faces/node-runtime.js'
import { facesDir } from '../../tests/support/data.js'
import { clipFrame } from '../../tests/support/video.js'
import type { FaceRuntime } from './enroll.js'
import type { Box } from './model.js'
import { detectTinyFaces } from './tiny-detector.js'
import { iou } from './tracking.js'

// The detector on the frame's own shape finds what face-api's square-padded pass finds, with the real
// network on real frames: every 25th frame of the fixture clip (no face, Lin alone, the audience), Lin
// cut by the frame's edges and a portrait photo, at the live input size and at face-api's default.
describe('detectTinyFaces', () => {
  let runtime: FaceRuntime
  const pictures: { label: string; image: Awaited<ReturnType<typeof decodePhoto>> }[] = []

  beforeAll(async () => {
    runtime = await nodeFaceRuntime()
    for (let index = 0; index < 275; index += 25) pictures.push({ label: `clip frame ${index}`, image: await decodePhoto(clipFrame(index)) })
    // Lin's face cut by the left edge and by the top one: face-api's boxes reach past them.
    const lin = await decodePhoto(clipFrame(150))
    const [frameHeight, frameWidth] = lin.shape
    pictures.push({ label: 'face at the left edge', image: runtime.tf.slice3d(lin, [0, 200, 0], [frameHeight, frameWidth - 200, 3]) })
    pictures.push({ label: 'face at the top edge', image: runtime.tf.slice3d(lin, [60, 0, 0], [frameHeight - 60, frameWidth, 3]) })
    lin.dispose()
    const portrait = await decodePhoto(await readFile(path.join(facesDir, 'people/barack_obama/obama.jpg')))
    const [height, width] = portrait.shape
    // A tall crop of the photo, so that the padding is to the right.
    pictures.push({ label: 'portrait crop', image: runtime.tf.slice3d(portrait, [0, 0, 0], [height, Math.round(Math.min(width, height * 0.6)), 3]) })
    portrait.dispose()
    return () => {
      for (const { image } of pictures) image.dispose()
    }
  })

  async function faceApiBoxes(image: (typeof pictures)[number]['image'], inputSize: number): Promise<Box[]> {
    const { faceapi } = runtime
    const input = image as unknown as Parameters<typeof faceapi.detectAllFaces>[0]
    const detections = await faceapi.detectAllFaces(input, new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: 0.4 }))
    return detections.map(({ box }) => ({ x: box.x, y: box.y, width: box.width, height: box.height }))
  }

  it.each([320, 416])('finds the boxes face-api finds, at input size %i', async (inputSize) => {
    let faces = 0
    let crowded = 0
    let offEdge = 0
    for (const { label, image } of pictures) {
      const expected = await faceApiBoxes(image, inputSize)
      const tensors = runtime.tf.memory().numTensors
      const found = await detectTinyFaces(runtime, image, { inputSize, scoreThreshold: 0.4 })
      expect(runtime.tf.memory().numTensors, label).toBe(tensors)
      expect(found, label).toHaveLength(expected.length)
      // The clip's frames scale by exactly a half and give the same boxes; at another scale, resampling
      // the picture before or after its padding differs slightly at its edge.
      for (const box of expected) {
        const closest = Math.max(...found.map((ours) => iou(ours, box)))
        expect(closest, label).toBeGreaterThan(0.9)
        // A box that starts past the picture's edge in face-api's starts past it here too: not clipped.
        const ours = found.find((candidate) => iou(candidate, box) === closest)!
        expect({ left: ours.x < 0, top: ours.y < 0 }, label).toEqual({ left: box.x < 0, top: box.y < 0 })
        offEdge += Number(box.x < 0 || box.y < 0)
      }
      faces += expected.length
      if (expected.length > 1) crowded++
    }
    // Not a comparison of empty lists: the pictures hold faces, several at a time in some.
    expect(faces).toBeGreaterThanOrEqual(8)
    expect(crowded).toBeGreaterThan(0)
    expect(offEdge).toBeGreaterThan(0)
  })

  it('refuses to run before the network is loaded', async () => {
    const unloaded = { ...runtime, faceapi: { ...runtime.faceapi, nets: { ...runtime.faceapi.nets, tinyFaceDetector: new runtime.faceapi.TinyFaceDetector() } } }
    await expect(detectTinyFaces(unloaded as FaceRuntime, pictures[0]!.image, { inputSize: 320, scoreThreshold: 0.4 })).rejects.toThrow('not loaded')
  })
})
