// Recognition of one image (a video frame or a photo): the same code in the browser's Recognize page
// and in Node (`npm run eval`).
import type * as TensorFlow from '@tensorflow/tfjs'
import { assignFaces } from './assign.js'
import type { FaceRuntime } from './enrol.js'
import { matchDescriptor, type Decision, type DecisionRule, type Gallery } from './match.js'
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

/**
 * Every face in one image: box, and when asked, landmarks, expression and who it is. At most one
 * face per enrolled person. The caller owns `image` and disposes of it.
 */
export async function recognizeFaces(
  runtime: FaceRuntime,
  image: TensorFlow.Tensor3D,
  gallery: Gallery | null,
  rule: DecisionRule,
  options: RecognitionOptions,
): Promise<RecognizedFace[]> {
  const input = image as unknown as Parameters<FaceRuntime['faceapi']['detectAllFaces']>[0]
  const detect = runtime.faceapi.detectAllFaces(input, detectorOptions(runtime, options.detector))
  if (!options.recognition && !options.landmarks && !options.expressions) {
    const detections = await detect
    return detections.map((detection) => ({ box: detection.box, score: detection.score, decision: unknown, landmarks: null, expression: null }))
  }
  const withLandmarks = detect.withFaceLandmarks()
  const faces = options.expressions
    ? await withLandmarks.withFaceExpressions().withFaceDescriptors()
    : await withLandmarks.withFaceDescriptors()
  const decisions =
    options.recognition && gallery
      ? assignFaces(
          faces.map((face) => matchDescriptor(gallery, face.descriptor)),
          rule,
        )
      : faces.map(() => unknown)
  return faces.map((face, index) => ({
    box: face.detection.box,
    score: face.detection.score,
    decision: decisions[index] ?? unknown,
    landmarks: options.landmarks ? face.landmarks.positions.map(({ x, y }) => ({ x, y })) : null,
    expression: options.expressions ? topExpression((face as { expressions?: Record<string, number> }).expressions) : null,
  }))
}
