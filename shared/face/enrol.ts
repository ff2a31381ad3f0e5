// Enrolment: one photo in, one descriptor (or the reason there is none) out. The same code runs
// in the browser (Train page) and in Node (`npm run train`); the caller passes in its face-api
// and TensorFlow.js, and the photo as an int32 [height, width, 3] tensor on both sides, since
// face-api resizes canvases and tensors differently.
import type * as TensorFlow from '@tensorflow/tfjs'
import { encodeDescriptor, euclideanDistance } from './descriptor.js'
import type { Box, DescriptorEntry, Detector, RejectedPhoto, RejectionReason } from './model.js'

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.esm-nobundle.js')

export interface FaceRuntime {
  faceapi: FaceApi
  tf: typeof TensorFlow
}

export interface EnrolOptions {
  /**
   * SSD MobileNet, not the tiny detector: enrolment runs once per photo, so accuracy wins over
   * speed, and SSD finds the small and turned faces of webcam photos that the tiny one misses.
   */
  detector: Detector
  /** Below face-api's 0.5: webcam-quality faces score lower; the one-face rule keeps out stray hits. */
  minConfidence: number
  /** The largest face is used only when it is this many times the area of the next one. */
  dominance: number
  /** Smallest face side in pixels: the descriptor network reads faces at 150x150. */
  minFaceSize: number
  /** Variance of the Laplacian of the face, in grey levels squared: below it, too blurred. */
  minSharpness: number
  /** Where no face is found, the further tries made, in order, until one finds a face. */
  retries: readonly EnrolRetry[]
}

/** One more try at finding the face of a photo where the first try found none. */
export interface EnrolRetry {
  detector: Detector
  minConfidence: number
  /** What was done, for the person training: shown beside the photo. */
  note: string
}

/**
 * Measured on the fixture photos stored at 320x247 (`npm run eval`): a dark photo whose face SSD scores
 * under 0.4 is found at a lower confidence, still under the one-face rule, or by the tiny detector.
 * Turned copies of sideways photos are not tried here: both turned copies yield a face, the upside-down
 * one often with the higher score, and nothing in face-api tells which one is upright. `enrolTurned`
 * decides it by the person's other photos instead.
 */
export const enrolRetries: readonly EnrolRetry[] = Object.freeze([
  { detector: 'ssd_mobilenetv1', minConfidence: 0.2, note: 'Found on a second look, with a lower detector confidence (0.2)' },
  { detector: 'tiny_face_detector', minConfidence: 0.3, note: 'Found by the second detector (tiny face detector)' },
])

export const enrolDefaults: EnrolOptions = {
  detector: 'ssd_mobilenetv1',
  minConfidence: 0.4,
  dominance: 2,
  // Measured on the fixture photos stored at 320x247: sharp faces scored 93 to 609, the same
  // faces blurred (Gaussian, sigma 2) 3 to 40; faces below 32 px are where descriptors go wrong.
  minFaceSize: 32,
  minSharpness: 55,
  retries: enrolRetries,
}

export type EnrolResult =
  | {
      ok: true
      detector: Detector
      box: Box
      score: number
      sharpness: number
      descriptor: Float32Array
      /** Set when the face was found only on a retry: what was done. */
      note?: string
    }
  | { ok: false; reason: RejectionReason; detail: string }

function area(box: Box): number {
  return box.width * box.height
}

function roundBox(box: Box): Box {
  return { x: Math.round(box.x), y: Math.round(box.y), width: Math.round(box.width), height: Math.round(box.height) }
}

/** Variance of the Laplacian of the face region in grey: low when the face is blurred. */
export function faceSharpness(tf: typeof TensorFlow, image: TensorFlow.Tensor3D, box: Box): number {
  const [height, width] = image.shape
  const x = Math.max(0, Math.floor(box.x))
  const y = Math.max(0, Math.floor(box.y))
  const w = Math.max(1, Math.min(width - x, Math.ceil(box.width)))
  const h = Math.max(1, Math.min(height - y, Math.ceil(box.height)))
  return tf.tidy(() => {
    const grey = image.slice([y, x, 0], [h, w, 3]).toFloat().mean(2).expandDims(2) as TensorFlow.Tensor3D
    // A fixed size, so that the measure does not depend on how large the face is.
    const face = tf.image.resizeBilinear(grey, [112, 112]).expandDims(0) as TensorFlow.Tensor4D
    const laplacian = tf.tensor4d([0, 1, 0, 1, -4, 1, 0, 1, 0], [3, 3, 1, 1])
    const edges = tf.conv2d(face, laplacian, 1, 'valid')
    return tf.moments(edges).variance.dataSync()[0]!
  })
}

type Attempt = Omit<EnrolRetry, 'note'> & { note?: string }

async function detectOnce({ faceapi, tf }: FaceRuntime, image: TensorFlow.Tensor3D, attempt: Attempt, options: EnrolOptions): Promise<EnrolResult> {
  const detectorOptions =
    attempt.detector === 'tiny_face_detector'
      ? new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: attempt.minConfidence })
      : new faceapi.SsdMobilenetv1Options({ minConfidence: attempt.minConfidence, maxResults: 20 })
  const faces = await faceapi
    .detectAllFaces(image as unknown as Parameters<FaceApi['detectAllFaces']>[0], detectorOptions)
    .withFaceLandmarks()
    .withFaceDescriptors()
  if (faces.length === 0) return { ok: false, reason: 'no_face', detail: 'No face was found in this photo' }

  const bySize = [...faces].sort((a, b) => area(b.detection.box) - area(a.detection.box))
  const [main, next] = bySize as [(typeof faces)[number], ...(typeof faces)[number][]]
  if (next && area(main.detection.box) < options.dominance * area(next.detection.box)) {
    return {
      ok: false,
      reason: 'several_faces',
      detail: `${faces.length} faces of similar size: use a photo of this person alone`,
    }
  }
  const found = roundBox(main.detection.box)
  const side = Math.min(found.width, found.height)
  if (side < options.minFaceSize) {
    return {
      ok: false,
      reason: 'face_too_small',
      detail: `The face is ${side} px across; at least ${options.minFaceSize} px is needed`,
    }
  }
  const sharpness = faceSharpness(tf, image, main.detection.box)
  if (sharpness < options.minSharpness) {
    return { ok: false, reason: 'too_blurry', detail: `The face is too blurred (sharpness ${Math.round(sharpness)}, needs ${options.minSharpness})` }
  }
  const result: EnrolResult = { ok: true, detector: attempt.detector, box: found, score: main.detection.score, sharpness, descriptor: main.descriptor }
  return attempt.note ? { ...result, note: attempt.note } : result
}

/**
 * Finds the one usable face in an enrolment photo and its descriptor, or says why there is none.
 * Where no face is found, `options.retries` are tried in turn and the first face found is used. A face
 * found but refused (several, too small, too blurred) is refused for a reason a retry would not mend.
 */
export async function enrolFace(runtime: FaceRuntime, image: TensorFlow.Tensor3D, options: EnrolOptions = enrolDefaults): Promise<EnrolResult> {
  const first = await detectOnce(runtime, image, { detector: options.detector, minConfidence: options.minConfidence }, options)
  if (first.ok || first.reason !== 'no_face') return first
  for (const retry of options.retries) {
    const result = await detectOnce(runtime, image, retry, options)
    if (result.ok || result.reason !== 'no_face') return result
  }
  const tried = options.retries.length ? ', nor on retries with a lower confidence and the other detector' : ''
  return { ok: false, reason: 'no_face', detail: `No face was found in this photo${tried}` }
}

/** A box found in the photo turned `rotation` degrees clockwise, in the photo's own coordinates. */
export function unturnedBox(box: Box, rotation: 90 | 270, photo: { width: number; height: number }): Box {
  return rotation === 90
    ? { x: box.y, y: photo.height - box.x - box.width, width: box.height, height: box.width }
    : { x: photo.width - box.y - box.height, y: box.x, width: box.height, height: box.width }
}

function nearestOf(descriptor: Float32Array, known: readonly Float32Array[]): number {
  return Math.min(...known.map((other) => euclideanDistance(descriptor, other)))
}

/**
 * A photo that gave no face, or a face unlike every other photo of the person (farther than
 * `threshold` from all of them), may be sideways: the detectors find few sideways faces, and a sideways
 * face's descriptor matches nobody. True when such a photo is worth `enrolTurned`.
 */
export function mayBeSideways(result: EnrolResult, known: readonly Float32Array[], threshold: number): boolean {
  if (known.length === 0) return false
  return result.ok ? nearestOf(result.descriptor, known) >= threshold : result.reason === 'no_face'
}

/**
 * Reads the face of a sideways photo from the copy turned a quarter either way whose face is like the
 * person's other photos (`known`): nearer than `threshold` to one of them, the nearer of the two copies.
 * Null when neither copy gives such a face.
 */
export async function enrolTurned(
  runtime: FaceRuntime,
  image: TensorFlow.Tensor3D,
  known: readonly Float32Array[],
  threshold: number,
  options: EnrolOptions = enrolDefaults,
): Promise<EnrolResult | null> {
  const [height, width] = image.shape
  let best: { result: EnrolResult & { ok: true }; distance: number } | null = null
  for (const rotation of [90, 270] as const) {
    const copy = runtime.tf.tidy(() => runtime.tf.reverse(runtime.tf.transpose(image, [1, 0, 2]), rotation === 90 ? 1 : 0))
    try {
      const result = await detectOnce(runtime, copy, { detector: options.detector, minConfidence: options.minConfidence }, options)
      if (!result.ok) continue
      const distance = nearestOf(result.descriptor, known)
      if (distance >= threshold || (best && best.distance <= distance)) continue
      const way = rotation === 90 ? 'clockwise' : 'anticlockwise'
      const note = `The photo is sideways: read from a copy turned 90° ${way}, whose face is like this person's other photos (${distance.toFixed(2)})`
      best = { result: { ...result, box: unturnedBox(result.box, rotation, { width, height }), note }, distance }
    } finally {
      copy.dispose()
    }
  }
  return best?.result ?? null
}

/** An enrolment result as the face model stores it, for the photo (and its content hash) it came from. */
export function toModelEntry(source: { photo: string; hash: string }, result: EnrolResult): DescriptorEntry | RejectedPhoto {
  const { photo, hash } = source
  return result.ok
    ? {
        photo,
        hash,
        detector: result.detector,
        box: result.box,
        descriptor: encodeDescriptor(result.descriptor),
        ...(result.note ? { note: result.note } : {}),
      }
    : { photo, hash, reason: result.reason, detail: result.detail }
}
