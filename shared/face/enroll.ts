// Enrollment: one photo in, one descriptor (or the reason there is none) out. The same code runs
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
  /**
   * Histogram operations that TensorFlow.js lacks, where sharp runs (Node: uploads, `npm run train`,
   * `npm run eval`). The browser has none: the retries that need them were already tried on the
   * original picture when it was uploaded (api/photos/image.ts), and are skipped there.
   */
  equalize?: (image: TensorFlow.Tensor3D, how: 'clahe' | 'normalize') => Promise<TensorFlow.Tensor3D>
}

/** A changed copy of the photo that a retry searches: the face may be found on it where not on the photo. */
export type Enhancement = 'clahe' | 'normalize' | 'gamma' | 'upscale'

export interface EnrollOptions {
  /**
   * SSD MobileNet, not the tiny detector: enrollment runs once per photo, so accuracy wins over
   * speed, and SSD finds the small and turned faces of webcam photos that the tiny one misses.
   */
  detector: Detector
  /** Below face-api's 0.5: webcam-quality faces score lower; the one-face rule keeps out stray hits. */
  minConfidence: number
  /** The largest face is used only when it is this many times the area of the next one. */
  dominance: number
  /** Smallest face side in pixels: the descriptor network reads faces at 150x150. */
  minFaceSize: number
  /** `faceSharpness` of the face: below it, too blurred. */
  minSharpness: number
  /** Where no face is found, the further tries made, in order, until one finds a face. */
  retries: readonly EnrollRetry[]
}

/** One more try at finding the face of a photo where the first try found none. */
export interface EnrollRetry {
  detector: Detector
  minConfidence: number
  /** Searched on a changed copy of the photo instead of the photo itself. */
  enhance?: Enhancement
  /** What was done, for the person training: shown beside the photo. */
  note: string
}

/**
 * Measured on the fixture photos (`npm run eval`) and dark copies of them: a dark photo whose face SSD
 * scores under 0.4 is found on a contrast-enhanced copy, at a lower confidence, still under the one-face
 * rule, or by the tiny detector. The copies that need sharp (CLAHE, normalize) are made in Node only.
 * Turned copies of sideways photos are not tried here: both turned copies yield a face, the upside-down
 * one often with the higher score, and nothing in face-api tells which one is upright. `enrollTurned`
 * decides it by the person's other photos instead.
 */
export const enrollRetries: readonly EnrollRetry[] = Object.freeze([
  // Dark and low-contrast webcam frames: SSD finds their faces once the contrast is spread out, with
  // its usual confidence, where a lower confidence or the other detector would also take stray hits.
  {
    detector: 'ssd_mobilenetv1',
    minConfidence: 0.4,
    enhance: 'clahe',
    note: 'Found on a contrast-enhanced copy (contrast-limited histogram equalization, windows an eighth of the photo)',
  },
  { detector: 'ssd_mobilenetv1', minConfidence: 0.4, enhance: 'normalize', note: 'Found on a copy with its contrast stretched to the full range' },
  { detector: 'ssd_mobilenetv1', minConfidence: 0.4, enhance: 'gamma', note: 'Found on a brightened copy (gamma 2)' },
  { detector: 'ssd_mobilenetv1', minConfidence: 0.2, note: 'Found on a second look, with a lower detector confidence (0.2)' },
  { detector: 'tiny_face_detector', minConfidence: 0.3, note: 'Found by the second detector (tiny face detector)' },
  // SSD reads the photo at 512x512: a face of a few dozen pixels becomes too small for it.
  { detector: 'ssd_mobilenetv1', minConfidence: 0.4, enhance: 'upscale', note: 'Found on a copy enlarged 2x' },
])

export const enrollDefaults: EnrollOptions = {
  detector: 'ssd_mobilenetv1',
  minConfidence: 0.4,
  dominance: 2,
  // Faces below 32 px are where descriptors go wrong. The sharpness threshold is calibrated against
  // identity loss on synthetically blurred fixtures (`npm run calibrate:blur`, bench/CALIBRATION.md).
  minFaceSize: 32,
  minSharpness: 26,
  retries: enrollRetries,
}

export type EnrollResult =
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

/** The side, in pixels, that `faceSharpness` reduces every face to. */
export const sharpnessSide = 32

/**
 * How much fine detail a face has, whatever its size: the face box in gray is reduced to 32x32 by
 * averaging (no face that passes the 32 px rule is enlarged, so none is smoothed by resampling), and
 * the variance of its Laplacian is divided by the variance of its gray levels (so a dark or
 * low-contrast face is not taken for a blurred one), times 100. Blur shows as detail lost at the scale
 * of the face: a Gaussian sigma of 3% of the face width halves the score, whatever the photo's size.
 */
export function faceSharpness(tf: typeof TensorFlow, image: TensorFlow.Tensor3D, box: Box): number {
  const [height, width] = image.shape
  const x = Math.max(0, Math.floor(box.x))
  const y = Math.max(0, Math.floor(box.y))
  const w = Math.max(1, Math.min(width - x, Math.ceil(box.width)))
  const h = Math.max(1, Math.min(height - y, Math.ceil(box.height)))
  // Resized to a whole multiple of the side, then averaged over blocks: an area reduction, which
  // TensorFlow.js's resizeBilinear (it samples, without antialiasing) is not on its own.
  const block = Math.max(2, Math.floor(Math.min(w, h) / sharpnessSide))
  return tf.tidy(() => {
    const gray = image.slice([y, x, 0], [h, w, 3]).toFloat().mean(2).expandDims(2) as TensorFlow.Tensor3D
    const large = tf.image.resizeBilinear(gray, [sharpnessSide * block, sharpnessSide * block]).expandDims(0) as TensorFlow.Tensor4D
    const face = tf.avgPool(large, block, block, 'valid')
    const laplacian = tf.tensor4d([0, 1, 0, 1, -4, 1, 0, 1, 0], [3, 3, 1, 1])
    const edges = tf.conv2d(face, laplacian, 1, 'valid')
    const detail = tf.moments(edges).variance.dataSync()[0]!
    const contrast = tf.moments(face).variance.dataSync()[0]!
    return contrast > 0 ? (100 * detail) / contrast : 0
  })
}

/**
 * The copy of the photo a retry searches, and how many times larger than the photo it is. The
 * caller disposes of the copy when it is not the photo itself. Null where this runtime cannot make it.
 */
export async function enhancedCopy(
  runtime: FaceRuntime,
  image: TensorFlow.Tensor3D,
  enhance: Enhancement | undefined,
): Promise<{ copy: TensorFlow.Tensor3D; scale: number } | null> {
  const { tf } = runtime
  switch (enhance) {
    case undefined:
      return { copy: image, scale: 1 }
    case 'clahe':
    case 'normalize':
      return runtime.equalize ? { copy: await runtime.equalize(image, enhance), scale: 1 } : null
    case 'gamma':
      return { copy: tf.tidy(() => tf.pow(image.toFloat().div(255), 0.5).mul(255).round().toInt() as TensorFlow.Tensor3D), scale: 1 }
    case 'upscale': {
      const [height, width] = image.shape
      return { copy: tf.tidy(() => tf.image.resizeBilinear(image, [height * 2, width * 2]).round().toInt() as TensorFlow.Tensor3D), scale: 2 }
    }
  }
}

const scaledBox = (box: Box, scale: number): Box => ({ x: box.x / scale, y: box.y / scale, width: box.width / scale, height: box.height / scale })

type Attempt = Omit<EnrollRetry, 'note'> & { note?: string }

const firstAttempt = (options: EnrollOptions): Attempt => ({ detector: options.detector, minConfidence: options.minConfidence })

function detectorOptions(faceapi: FaceApi, attempt: Attempt) {
  return attempt.detector === 'tiny_face_detector'
    ? new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: attempt.minConfidence })
    : new faceapi.SsdMobilenetv1Options({ minConfidence: attempt.minConfidence, maxResults: 20 })
}

const noFace = { ok: false, reason: 'no_face', detail: 'No face was found in this photo' } as const satisfies EnrollResult

function severalFaces(count: number): EnrollResult {
  return { ok: false, reason: 'several_faces', detail: `${count} faces of similar size: use a photo of this person alone` }
}

/** The largest of the boxes, when it is `dominance` times the area of the next; else how many there are. */
function dominantBox<T extends { box: Box }>(faces: T[], dominance: number): T | number {
  const [main, next] = [...faces].sort((a, b) => area(b.box) - area(a.box)) as [T, ...T[]]
  return next && area(main.box) < dominance * area(next.box) ? faces.length : main
}

/** One try: `image` is searched as the attempt says (maybe on a changed copy), and its face judged on `image`. */
async function detectOnce(runtime: FaceRuntime, image: TensorFlow.Tensor3D, attempt: Attempt, options: EnrollOptions): Promise<EnrollResult | null> {
  const { faceapi, tf } = runtime
  const made = await enhancedCopy(runtime, image, attempt.enhance)
  if (!made) return null
  const { copy, scale } = made
  try {
    const faces = await faceapi
      .detectAllFaces(copy as unknown as Parameters<FaceApi['detectAllFaces']>[0], detectorOptions(faceapi, attempt))
      .withFaceLandmarks()
      .withFaceDescriptors()
    if (faces.length === 0) return noFace
    const main = dominantBox(
      faces.map((face) => ({ face, box: scaledBox(face.detection.box, scale) })),
      options.dominance,
    )
    if (typeof main === 'number') return severalFaces(main)
    const found = roundBox(main.box)
    const side = Math.min(found.width, found.height)
    if (side < options.minFaceSize) {
      return {
        ok: false,
        reason: 'face_too_small',
        detail: `The face is ${side} px across; at least ${options.minFaceSize} px is needed`,
      }
    }
    // Judged on the photo itself: an enhanced copy has more contrast than the photo's own detail.
    const sharpness = faceSharpness(tf, image, main.box)
    if (sharpness < options.minSharpness) {
      return { ok: false, reason: 'too_blurry', detail: `The face is too blurred (sharpness ${Math.round(sharpness)}, needs ${options.minSharpness})` }
    }
    const { face } = main
    const result: EnrollResult = { ok: true, detector: attempt.detector, box: found, score: face.detection.score, sharpness, descriptor: face.descriptor }
    return attempt.note ? { ...result, note: attempt.note } : result
  } finally {
    if (copy !== image) copy.dispose()
  }
}

const retriesTried = ', nor on retries with a lower confidence, the other detector, and contrast-enhanced and enlarged copies'

/**
 * Finds the one usable face in an enrollment photo and its descriptor, or says why there is none.
 * Where no face is found, `options.retries` are tried in turn and the first face found is used (a
 * retry this runtime cannot make is passed over). A face found but refused (several, too small, too
 * blurred) is refused for a reason a retry would not mend.
 */
export async function enrollFace(runtime: FaceRuntime, image: TensorFlow.Tensor3D, options: EnrollOptions = enrollDefaults): Promise<EnrollResult> {
  for (const attempt of [firstAttempt(options), ...options.retries]) {
    const result = await detectOnce(runtime, image, attempt, options)
    if (result && (result.ok || result.reason !== 'no_face')) return result
  }
  return options.retries.length ? { ...noFace, detail: `${noFace.detail}${retriesTried}` } : noFace
}

/** Where the one face of a picture is, by the same tries as enrollment: its box, and the retry that found it. */
export type FaceSearch = { found: 'one'; box: Box; score: number; retry?: EnrollRetry } | { found: 'several'; count: number } | { found: 'none' }

/**
 * Looks for the one face of a picture (detection only: no landmarks, no descriptor), with enrollment's
 * detector, one-face rule and retries. Uploads use it to frame the stored photo around the face.
 */
export async function locateFace(runtime: FaceRuntime, image: TensorFlow.Tensor3D, options: EnrollOptions = enrollDefaults): Promise<FaceSearch> {
  const { faceapi } = runtime
  for (const attempt of [firstAttempt(options), ...options.retries]) {
    const made = await enhancedCopy(runtime, image, attempt.enhance)
    if (!made) continue
    try {
      const detections = await faceapi.detectAllFaces(made.copy as unknown as Parameters<FaceApi['detectAllFaces']>[0], detectorOptions(faceapi, attempt))
      if (detections.length === 0) continue
      const main = dominantBox(
        detections.map((detection) => ({ score: detection.score, box: scaledBox(detection.box, made.scale) })),
        options.dominance,
      )
      if (typeof main === 'number') return { found: 'several', count: main }
      const retry = 'note' in attempt ? (attempt as EnrollRetry) : undefined
      return { found: 'one', box: main.box, score: main.score, ...(retry ? { retry } : {}) }
    } finally {
      if (made.copy !== image) made.copy.dispose()
    }
  }
  return { found: 'none' }
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
 * face's descriptor matches nobody. True when such a photo is worth `enrollTurned`.
 */
export function mayBeSideways(result: EnrollResult, known: readonly Float32Array[], threshold: number): boolean {
  if (known.length === 0) return false
  return result.ok ? nearestOf(result.descriptor, known) >= threshold : result.reason === 'no_face'
}

/**
 * Reads the face of a sideways photo from the copy turned a quarter either way whose face is like the
 * person's other photos (`known`): nearer than `threshold` to one of them, the nearer of the two copies.
 * Null when neither copy gives such a face.
 */
export async function enrollTurned(
  runtime: FaceRuntime,
  image: TensorFlow.Tensor3D,
  known: readonly Float32Array[],
  threshold: number,
  options: EnrollOptions = enrollDefaults,
): Promise<EnrollResult | null> {
  const [height, width] = image.shape
  let best: { result: EnrollResult & { ok: true }; distance: number } | null = null
  for (const rotation of [90, 270] as const) {
    const copy = runtime.tf.tidy(() => runtime.tf.reverse(runtime.tf.transpose(image, [1, 0, 2]), rotation === 90 ? 1 : 0))
    try {
      const result = await detectOnce(runtime, copy, firstAttempt(options), options)
      if (!result?.ok) continue
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

/** An enrollment result as the face model stores it, for the photo (and its content hash) it came from. */
export function toModelEntry(source: { photo: string; hash: string }, result: EnrollResult): DescriptorEntry | RejectedPhoto {
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
