// Drawing recognized faces (boxes, names, landmarks) on a canvas: the Recognize page's photo view and the live
// recognizer, in a worker or on the page, share it.
import type { Box } from '~/shared/face/model'
import type { RecognizedFace } from '~/shared/face/recognize'

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
  /** Its number in a list of the faces beside the picture, drawn before the name. */
  number?: number
}

/** A page's canvas, or one a worker draws on for the page (`transferControlToOffscreen`). */
export type DrawingSurface = HTMLCanvasElement | OffscreenCanvas

/**
 * Boxes, names and landmarks on a canvas the size of the image they belong to; over `frame`, the image
 * itself, when given (live video draws each frame with its own faces).
 */
export function drawFaces(canvas: DrawingSurface, faces: DrawnFace[], options: DrawOptions, frame?: ImageBitmap): void {
  const context = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null
  if (!context) return
  context.clearRect(0, 0, canvas.width, canvas.height)
  if (frame) context.drawImage(frame, 0, 0, canvas.width, canvas.height)
  const scale = Math.max(1, canvas.width / 640)
  context.lineWidth = 2 * scale
  context.font = `${Math.round(14 * scale)}px system-ui, sans-serif`
  for (const face of faces) {
    const color = face.name ? '#2fbf71' : '#f5b400'
    const { x, y, width, height } = face.box
    if (options.boxes) {
      context.strokeStyle = color
      context.strokeRect(x, y, width, height)
    }
    if (options.landmarks && face.landmarks) {
      context.fillStyle = '#4db5ff'
      for (const point of face.landmarks) context.fillRect(point.x - scale, point.y - scale, 2 * scale, 2 * scale)
    }
    const parts: string[] = []
    if (face.number !== undefined) parts.push(String(face.number))
    if (options.names) parts.push(face.name ?? 'unknown')
    if (options.distance && face.distance !== null) parts.push(face.distance.toFixed(2))
    if (options.expressions && face.expression) parts.push(face.expression)
    if (parts.length) {
      const text = parts.join(' · ')
      const textHeight = 18 * scale
      const textWidth = context.measureText(text).width + 8 * scale
      const top = y > textHeight ? y - textHeight : y + height
      context.fillStyle = color
      context.fillRect(x, top, textWidth, textHeight)
      context.fillStyle = '#000'
      context.fillText(text, x + 4 * scale, top + 14 * scale)
    }
  }
}

/**
 * A recognized photo: the picture on `canvas` with each face's box, name and distance, numbered left to right
 * as people read a group photo. Answers the faces in that order, each with its number in the list beside it.
 */
export function drawRecognizedPhoto(canvas: HTMLCanvasElement, picture: HTMLCanvasElement, found: readonly RecognizedFace[]): DrawnFace[] {
  canvas.width = picture.width
  canvas.height = picture.height
  const drawn = found
    .map((face) => ({ box: face.box, name: face.decision.name, distance: face.decision.distance, landmarks: null, expression: null }))
    .sort((a, b) => a.box.x - b.box.x)
    .map((face, index) => ({ ...face, number: index + 1 }))
  drawFaces(canvas, drawn, { boxes: true, names: true, distance: true, landmarks: false, expressions: false })
  const context = canvas.getContext('2d')!
  context.globalCompositeOperation = 'destination-over'
  context.drawImage(picture, 0, 0)
  context.globalCompositeOperation = 'source-over'
  return drawn
}
