// LiveTracker's operations with face-api and TensorFlow.js, on an int32 [height, width, 3] image
// tensor: the same in the worker, the page and Node.
import type * as TensorFlow from '@tensorflow/tfjs'
import type { FaceRuntime } from './enroll.js'
import type { FaceFit, LiveOps, Point } from './live.js'
import type { Box } from './model.js'
import { detectTinyFaces } from './tiny-detector.js'

type Image = TensorFlow.Tensor3D

/** The frame signature: 32x18 gray levels, averaged over blocks rather than sampled. */
const signatureSize = { width: 32, height: 18, block: 4 }
/** A face's appearance thumbnail, in pixels a side. */
const appearanceSide = 16

/**
 * The tiny detector's box around a face, from the bounding box of its 68 landmarks. Measured on the
 * fixture clip's detections (`npm run eval:video` prints it): the detector's box starts this share of
 * the landmarks' width and height before them and is this many times as wide and tall.
 */
export const landmarkBoxFit = Object.freeze({ left: 0.21, top: 0.09, width: 1.47, height: 1.3 })

export function boxFromLandmarks(points: readonly Point[]): Box {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity]
  for (const { x, y } of points) {
    minX = Math.min(minX, x)
    minY = Math.min(minY, y)
    maxX = Math.max(maxX, x)
    maxY = Math.max(maxY, y)
  }
  const width = maxX - minX
  const height = maxY - minY
  return {
    x: minX - landmarkBoxFit.left * width,
    y: minY - landmarkBoxFit.top * height,
    width: width * landmarkBoxFit.width,
    height: height * landmarkBoxFit.height,
  }
}

/** A box inside the image, in whole pixels; null when nothing of it is left. */
export function clipToImage(box: Box, width: number, height: number): Box | null {
  const x = Math.max(0, Math.floor(box.x))
  const y = Math.max(0, Math.floor(box.y))
  const right = Math.min(width, Math.floor(box.x + box.width))
  const bottom = Math.min(height, Math.floor(box.y + box.height))
  return right - x >= 8 && bottom - y >= 8 ? { x, y, width: right - x, height: bottom - y } : null
}

/** Zero mean, unit variance: lighting that brightens a whole face does not change how it looks. */
function standardise(values: Float32Array): Float32Array {
  let mean = 0
  for (const value of values) mean += value
  mean /= values.length
  let variance = 0
  for (const value of values) variance += (value - mean) ** 2
  const scale = 1 / Math.sqrt(variance / values.length || 1)
  return values.map((value) => (value - mean) * scale)
}

export interface LiveOpsOptions {
  /** The tiny detector's input size. */
  inputSize: number
  scoreThreshold: number
}

// On the fixture clip at 320 the tiny detector finds every face it finds at 416 (67 in 75 frames, 224
// finds 32), in 0.6 of the time: between detections the tracker follows the faces anyway. It runs on the
// frame's own shape (tiny-detector.ts): the same boxes as face-api's square pass, in a third of the time.
export const defaultLiveOpsOptions: Readonly<LiveOpsOptions> = Object.freeze({ inputSize: 320, scoreThreshold: 0.4 })

export function faceApiLiveOps(runtime: FaceRuntime, options: LiveOpsOptions = defaultLiveOpsOptions): LiveOps<Image> {
  const { faceapi, tf } = runtime

  /** Gray thumbnails of each box, `size` pixels a side, in one batch. */
  async function thumbnails(image: Image, boxes: readonly Box[], size: { width: number; height: number }): Promise<Float32Array[]> {
    const [height, width] = image.shape
    // Cropped first, then made gray: the whole frame is never converted.
    const gray = tf.tidy(() => {
      const normalized = boxes.map((box) => [box.y / height, box.x / width, (box.y + box.height) / height, (box.x + box.width) / width])
      const crops = tf.image.cropAndResize(image.expandDims(0) as TensorFlow.Tensor4D, tf.tensor2d(normalized, [boxes.length, 4]), tf.zeros([boxes.length], 'int32'), [size.height, size.width])
      return crops.mean(3)
    })
    const data = (await gray.data()) as Float32Array
    gray.dispose()
    const each = size.width * size.height
    return boxes.map((_, index) => data.slice(index * each, (index + 1) * each))
  }

  /** What each box's face looks like: a gray thumbnail, zero mean and unit variance. */
  async function appearance(image: Image, boxes: readonly Box[]): Promise<Float32Array[]> {
    return (await thumbnails(image, boxes, { width: appearanceSide, height: appearanceSide })).map(standardise)
  }

  return {
    async frameSignature(image) {
      const { width, height, block } = signatureSize
      const signature = tf.tidy(() => {
        const gray = image.toFloat().mean(2, true) as TensorFlow.Tensor3D
        const small = tf.image.resizeBilinear(gray, [height * block, width * block])
        return tf.avgPool(small, block, block, 'valid')
      })
      const data = (await signature.data()) as Float32Array
      signature.dispose()
      return data
    },

    detect: (image) => detectTinyFaces(runtime, image, options),

    appearance,

    async fit(image, boxes) {
      const [height, width] = image.shape
      const clipped = boxes.map((box) => clipToImage(box, width, height))
      const inside = clipped.flatMap((box, index) => (box ? [{ box, index }] : []))
      const fits: (FaceFit | null)[] = boxes.map(() => null)
      if (!inside.length) return fits
      const crops = tf.tidy(() => inside.map(({ box }) => tf.slice3d(image, [box.y, box.x, 0], [box.height, box.width, 3])))
      let landmarks
      try {
        landmarks = (await faceapi.nets.faceLandmark68Net.detectLandmarks(crops as unknown as Parameters<typeof faceapi.nets.faceLandmark68Net.detectLandmarks>[0])) as
          | InstanceType<typeof faceapi.FaceLandmarks68>
          | InstanceType<typeof faceapi.FaceLandmarks68>[]
      } finally {
        for (const crop of crops) crop.dispose()
      }
      const perCrop = Array.isArray(landmarks) ? landmarks : [landmarks]
      const placed = inside.map(({ box }, position) => perCrop[position]!.shiftBy<InstanceType<typeof faceapi.FaceLandmarks68>>(box.x, box.y))
      const faceBoxes = placed.map((shifted) => boxFromLandmarks(shifted.positions))
      const looks = await appearance(image, faceBoxes)
      inside.forEach(({ index }, position) => {
        const shifted = placed[position]!
        const aligned = shifted.align(null, { useDlibAlignment: true })
        fits[index] = {
          box: faceBoxes[position]!,
          landmarks: shifted.positions.map(({ x, y }) => ({ x, y })),
          alignedBox: { x: aligned.x, y: aligned.y, width: aligned.width, height: aligned.height },
          appearance: looks[position]!,
        }
      })
      return fits
    },

    describe: (image, fits) => describeFaceCrops(runtime, alignedFaceCrops(runtime, image, fits)),
  }
}

/** Each fit's aligned box cut from the image, int32 [height, width, 3]; null where it is too far off the image to describe. */
export function alignedFaceCrops({ tf }: FaceRuntime, image: Image, fits: readonly FaceFit[]): (Image | null)[] {
  const [height, width] = image.shape
  return fits.map(({ alignedBox }) => {
    const box = clipToImage(alignedBox, width, height)
    return box && tf.slice3d(image, [box.y, box.x, 0], [box.height, box.width, 3])
  })
}

/**
 * One descriptor per crop (alignedFaceCrops), in one batch; null where there is no crop. Disposes the
 * crops. The tracker's `describe` and the helper's (browser/live/helper.worker.ts) both run it, so the
 * same crop gives the same descriptor on either thread.
 */
export async function describeFaceCrops({ faceapi }: FaceRuntime, crops: readonly (Image | null)[]): Promise<(Float32Array | null)[]> {
  const present = crops.filter((crop) => crop !== null)
  if (!present.length) return crops.map(() => null)
  try {
    const computed = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(present as unknown as Parameters<typeof faceapi.nets.faceRecognitionNet.computeFaceDescriptor>[0])
    const descriptors = (Array.isArray(computed) ? computed : [computed]) as Float32Array[]
    return crops.map((crop) => (crop ? descriptors[present.indexOf(crop)]! : null))
  } finally {
    for (const crop of present) crop.dispose()
  }
}

/** The frame the warm-up runs on: the shape most cameras give by default. */
const warmUpFrame = { width: 640, height: 360 }

/**
 * Runs each of live video's operations once, on a blank frame, before the first camera frame: the first
 * call of a network is the slow one (WASM packs its weights, WebGL compiles its programs). No face is
 * needed: the landmark network fits a box in the middle of the frame and the descriptor network reads it.
 */
export async function warmUpLiveOps(runtime: FaceRuntime, ops: LiveOps<Image> = faceApiLiveOps(runtime)): Promise<void> {
  const { width, height } = warmUpFrame
  const image = runtime.tf.zeros([height, width, 3], 'int32') as Image
  try {
    const middle: Box = { x: width / 2 - height / 4, y: height / 4, width: height / 2, height: height / 2 }
    await ops.frameSignature(image)
    await ops.detect(image)
    await ops.fit(image, [middle])
    await ops.appearance(image, [middle])
    // Landmarks on a blank crop fall anywhere: the descriptor reads the middle box itself (describe reads only alignedBox).
    await ops.describe(image, [{ box: middle, landmarks: [], appearance: new Float32Array(), alignedBox: middle }])
  } finally {
    image.dispose()
  }
}
