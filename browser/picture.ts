// A picture for face-api, decoded the one way the pages do it: a stored photo by its URL (training) or a file
// the person picked (photo recognition), drawn on a canvas of its own (scaled down past `maxSide`) and read as
// the int32 [height, width, 3] tensor that enrollment and recognition take, the kind the Node trainer's
// decodePhoto gives too.
import type * as TensorFlow from '@tensorflow/tfjs'

async function decode(source: string | Blob): Promise<HTMLImageElement | ImageBitmap> {
  if (typeof source !== 'string') return createImageBitmap(source)
  const image = new Image()
  image.src = source
  await image.decode()
  return image
}

/** The picture on a canvas, its longer side at most `maxSide`; rejects when the browser cannot decode it. */
export async function pictureCanvas(source: string | Blob, maxSide = Number.POSITIVE_INFINITY): Promise<HTMLCanvasElement> {
  const picture = await decode(source)
  const scale = Math.min(1, maxSide / Math.max(picture.width, picture.height))
  const canvas = document.createElement('canvas')
  canvas.width = Math.round(picture.width * scale)
  canvas.height = Math.round(picture.height * scale)
  canvas.getContext('2d')!.drawImage(picture, 0, 0, canvas.width, canvas.height)
  if ('close' in picture) picture.close()
  return canvas
}

/** The tensor of `pictureCanvas`; the caller disposes of it. */
export async function pictureTensor(tf: typeof TensorFlow, source: string | Blob, maxSide?: number): Promise<TensorFlow.Tensor3D> {
  return tf.browser.fromPixels(await pictureCanvas(source, maxSide))
}
