// Recognition of one image (a video frame or a photo): the same code in the browser's Recognize page
// and in Node (`npm run eval`).
import type * as TensorFlow from '@tensorflow/tfjs'
import { nameFaces, type Matching } from './assign.js'
import type { FaceRuntime } from './enroll.js'
import type { Decision, DecisionRule } from './match.js'
import type { Box } from './model.js'

export interface RecognitionOptions {
  detector: 'tiny_face_detector' | 'ssd_mobilenetv1'
  recognition: boolean
  landmarks: boolean
  expressions: boolean
}

export interface RecognizedFace {
  box: Box
  score: number
  decision: Decision
  /** Whether the face got a descriptor (and `decision`) in this image; see recognizeFaces' `describe`. */
  described: boolean
  /** 68 points, in image coordinates, when landmarks are asked for. */
  landmarks: { x: number; y: number }[] | null
  expression: string | null
}

/**
 * Live video uses the tiny detector at 416: about 4 times cheaper than SSD, and at 416 rather
 * than 320 it still finds the small faces of a 640x360 frame; photos use SSD MobileNet.
 */
export function detectorOptions(runtime: FaceRuntime, detector: RecognitionOptions['detector']) {
  return detector === 'ssd_mobilenetv1'
    ? new runtime.faceapi.SsdMobilenetv1Options({ minConfidence: 0.4, maxResults: 50 })
    : new runtime.faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.4 })
}

function topExpression(expressions: Record<string, number> | undefined): string | null {
  if (!expressions) return null
  return Object.entries(expressions).sort((a, b) => b[1] - a[1])[0]?.[0] ?? null
}

const unknown: Decision = { name: null, distance: null, runnerUp: null, tentative: null }

/** Which faces get a descriptor: all of them unless the caller (live video, FaceTracker) knows better. */
export type DescribeFace = (box: Box, index: number) => boolean

/**
 * Every face in one image: box, and when asked, landmarks, expression and who it is. At most one
 * face per enrolled person. A face `describe` turns down gets no descriptor and no decision
 * (`described: false`): live video keeps the decision of a tracked face that has barely moved. The
 * descriptors are computed exactly as face-api's withFaceDescriptors does, for the faces chosen only.
 * The caller owns `image` and disposes of it.
 */
export async function recognizeFaces(
  runtime: FaceRuntime,
  image: TensorFlow.Tensor3D,
  gallery: Matching | null,
  rule: DecisionRule,
  options: RecognitionOptions,
  describe: DescribeFace = () => true,
): Promise<RecognizedFace[]> {
  const { faceapi } = runtime
  const input = image as unknown as Parameters<FaceRuntime['faceapi']['detectAllFaces']>[0]
  const detect = faceapi.detectAllFaces(input, detectorOptions(runtime, options.detector))
  const recognizing = options.recognition && gallery !== null
  if (!recognizing && !options.landmarks && !options.expressions) {
    const detections = await detect
    return detections.map((detection) => ({ box: detection.box, score: detection.score, decision: unknown, described: false, landmarks: null, expression: null }))
  }
  const withLandmarks = detect.withFaceLandmarks()
  const faces = options.expressions ? await withLandmarks.withFaceExpressions() : await withLandmarks
  const chosen = recognizing ? faces.flatMap((face, index) => (describe(face.detection.box, index) ? [index] : [])) : []
  const descriptors = new Map<number, Float32Array>()
  if (chosen.length) {
    const aligned = chosen.map((index) => faces[index]!.landmarks.align(null, { useDlibAlignment: true }))
    const crops = await faceapi.extractFaceTensors(image as unknown as Parameters<typeof faceapi.extractFaceTensors>[0], aligned)
    try {
      for (const [position, crop] of crops.entries()) {
        descriptors.set(chosen[position]!, (await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(crop)) as Float32Array)
      }
    } finally {
      for (const crop of crops) crop.dispose()
    }
  }
  const decisions = gallery && chosen.length ? await nameFaces(gallery, chosen.map((index) => descriptors.get(index)!), rule) : []
  const decisionOf = new Map(chosen.map((index, position) => [index, decisions[position] ?? unknown]))
  return faces.map((face, index) => ({
    box: face.detection.box,
    score: face.detection.score,
    decision: decisionOf.get(index) ?? unknown,
    described: decisionOf.has(index),
    landmarks: options.landmarks ? face.landmarks.positions.map(({ x, y }) => ({ x, y })) : null,
    expression: options.expressions ? topExpression((face as { expressions?: Record<string, number> }).expressions) : null,
  }))
}
