import type * as TensorFlow from '@tensorflow/tfjs'
import type { FaceRuntime } from '~/shared/face/enrol'
import type { Box } from '~/shared/face/model'
import { assignFaces } from '~/shared/face/assign'
import { matchDescriptor, type DecisionRule, type Gallery, type Decision } from '~/shared/face/match'

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

const unknown: Decision = { name: null, distance: null, runnerUp: null }

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

export interface DrawOptions {
  boxes: boolean
  landmarks: boolean
  names: boolean
  distance: boolean
  expressions: boolean
}

export interface DrawnFace {
  box: Box
  name: string | null
  distance: number | null
  landmarks: { x: number; y: number }[] | null
  expression: string | null
}

/** Boxes, names and landmarks on a canvas the size of the image they belong to. */
export function drawFaces(canvas: HTMLCanvasElement, faces: DrawnFace[], options: DrawOptions): void {
  const context = canvas.getContext('2d')
  if (!context) return
  context.clearRect(0, 0, canvas.width, canvas.height)
  const scale = Math.max(1, canvas.width / 640)
  context.lineWidth = 2 * scale
  context.font = `${Math.round(14 * scale)}px system-ui, sans-serif`
  for (const face of faces) {
    const colour = face.name ? '#2fbf71' : '#f5b400'
    const { x, y, width, height } = face.box
    if (options.boxes) {
      context.strokeStyle = colour
      context.strokeRect(x, y, width, height)
    }
    if (options.landmarks && face.landmarks) {
      context.fillStyle = '#4db5ff'
      for (const point of face.landmarks) context.fillRect(point.x - scale, point.y - scale, 2 * scale, 2 * scale)
    }
    const parts: string[] = []
    if (options.names) parts.push(face.name ?? 'unknown')
    if (options.distance && face.distance !== null) parts.push(face.distance.toFixed(2))
    if (options.expressions && face.expression) parts.push(face.expression)
    if (parts.length) {
      const text = parts.join(' · ')
      const textHeight = 18 * scale
      const textWidth = context.measureText(text).width + 8 * scale
      const top = y > textHeight ? y - textHeight : y + height
      context.fillStyle = colour
      context.fillRect(x, top, textWidth, textHeight)
      context.fillStyle = '#000'
      context.fillText(text, x + 4 * scale, top + 14 * scale)
    }
  }
}
