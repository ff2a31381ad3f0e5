// face-api's tiny face detector on the frame's own shape. face-api pads every picture to a square
// before it scales it to the input size: a 16:9 camera frame at 320 is a 320x180 picture in a 320x320
// input, and almost half of the network's work is spent on the padding. The network is convolutional
// (a grid of 32-pixel cells), so it runs as well on 320x192; the boxes are read from its grid the way
// face-api reads them (TinyYolov2Base.extractBoxes), then the same non-maximum suppression.
import type * as TensorFlow from '@tensorflow/tfjs'
import type { FaceRuntime } from './enroll.js'
import type { Box } from './model.js'

/** The detector's grid: one cell is this many input pixels a side. */
const cellSize = 32
/** Numbers per anchor in the network's output: x, y, width, height, score. */
const boxEncoding = 5

export interface TinyDetectorOptions {
  /** The input's longer side, in pixels: a multiple of 32, as face-api's inputSize. */
  inputSize: number
  scoreThreshold: number
}

const sigmoid = (value: number) => 1 / (1 + Math.exp(-value))

/** Faces in an int32 [height, width, 3] image, in its pixels. */
export async function detectTinyFaces(runtime: FaceRuntime, image: TensorFlow.Tensor3D, options: TinyDetectorOptions): Promise<Box[]> {
  const { faceapi, tf } = runtime
  const net = faceapi.nets.tinyFaceDetector
  const params = net.params
  if (!params) throw new Error('The tiny face detector is not loaded')
  const { anchors, meanRgb, iouThreshold } = net.config
  const [height, width] = image.shape
  // Scaled so that the longer side is the input size, as face-api scales; the shorter side is padded
  // (below or to the right, as face-api pads) to whole cells only.
  const scale = options.inputSize / Math.max(width, height)
  const scaled = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
  // Each side's own scale, after rounding to whole pixels.
  const [scaleX, scaleY] = [scaled.width / width, scaled.height / height]
  const input = { width: Math.ceil(scaled.width / cellSize) * cellSize, height: Math.ceil(scaled.height / cellSize) * cellSize }
  const output = tf.tidy(() => {
    let batch = tf.image.resizeBilinear(image.toFloat().expandDims(0) as TensorFlow.Tensor4D, [scaled.height, scaled.width])
    batch = tf.pad(batch, [
      [0, 0],
      [0, input.height - scaled.height],
      [0, input.width - scaled.width],
      [0, 0],
    ])
    if (meanRgb) batch = batch.sub(tf.tensor1d(meanRgb).reshape([1, 1, 1, 3]))
    batch = batch.div(255)
    // face-api types its tensors with its own copy of TensorFlow.js's declarations: the same tensors.
    type NetInput = Parameters<typeof net.runMobilenet>
    return net.runMobilenet(batch as unknown as NetInput[0], params as NetInput[1]) as unknown as TensorFlow.Tensor4D
  })
  const [, rows, columns] = output.shape
  const data = (await output.data()) as Float32Array
  output.dispose()

  const boxes: Box[] = []
  const scores: number[] = []
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      for (let anchor = 0; anchor < anchors.length; anchor++) {
        const at = ((row * columns + column) * anchors.length + anchor) * boxEncoding
        const score = sigmoid(data[at + 4]!)
        if (score <= options.scoreThreshold) continue
        // In input pixels: the cell's corner plus the offset, and the anchor's size in cells.
        const centerX = (column + sigmoid(data[at]!)) * cellSize
        const centerY = (row + sigmoid(data[at + 1]!)) * cellSize
        const boxWidth = Math.exp(data[at + 2]!) * anchors[anchor]!.x * cellSize
        const boxHeight = Math.exp(data[at + 3]!) * anchors[anchor]!.y * cellSize
        boxes.push({ x: (centerX - boxWidth / 2) / scaleX, y: (centerY - boxHeight / 2) / scaleY, width: boxWidth / scaleX, height: boxHeight / scaleY })
        scores.push(score)
      }
    }
  }
  if (!boxes.length) return []
  const kept = tf.tidy(() => {
    const corners = tf.tensor2d(boxes.map(({ x, y, width: w, height: h }) => [y, x, y + h, x + w]))
    return tf.image.nonMaxSuppression(corners, tf.tensor1d(scores), boxes.length, iouThreshold)
  })
  const indexes = Array.from(await kept.data())
  kept.dispose()
  // As face-api's, a box may reach past the picture's edges: whoever crops by it clips it.
  return indexes.map((index) => boxes[index]!)
}
