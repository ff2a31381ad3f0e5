// face-api in Node: the same models as the browser, on TensorFlow.js's WASM backend
// (@tensorflow/tfjs-node needs a native download that is not always possible), photos decoded by sharp.
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js'
import sharp from 'sharp'
import { packageDir } from '../paths.js'
import type { FaceRuntime } from '../../shared/face/enroll.js'

let runtime: Promise<FaceRuntime> | undefined

async function load(): Promise<FaceRuntime> {
  setWasmPaths(`${path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist')}/`)
  if (!(await tf.setBackend('wasm'))) throw new Error('The TensorFlow.js WASM backend could not start')
  await tf.ready()
  const models = path.join(packageDir('@vladmandic/face-api'), 'model')
  await Promise.all([
    faceapi.nets.ssdMobilenetv1.loadFromDisk(models),
    faceapi.nets.tinyFaceDetector.loadFromDisk(models),
    faceapi.nets.faceLandmark68Net.loadFromDisk(models),
    faceapi.nets.faceRecognitionNet.loadFromDisk(models),
  ])
  return { faceapi: faceapi as unknown as FaceRuntime['faceapi'], tf, equalize }
}

/** sharp's CLAHE (windows an eighth of the photo each way) or `normalize`, on a photo tensor. */
async function equalize(image: tf.Tensor3D, how: 'clahe' | 'normalize'): Promise<tf.Tensor3D> {
  const [height, width] = image.shape
  const pixels = sharp(Uint8Array.from(await image.data()), { raw: { width, height, channels: 3 } })
  const changed = how === 'clahe' ? pixels.clahe({ width: Math.ceil(width / 8), height: Math.ceil(height / 8) }) : pixels.normalize()
  const { data, info } = await changed.toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return tf.tensor3d(new Int32Array(data), [info.height, info.width, 3], 'int32')
}

/** face-api with its models loaded, once per process. */
export function nodeFaceRuntime(): Promise<FaceRuntime> {
  runtime ??= load()
  return runtime
}

/**
 * A photo as the int32 [height, width, 3] tensor that `tf.browser.fromPixels` gives in the browser.
 * With `raw`, `file` holds RGB pixels of that size rather than an encoded image.
 */
export async function decodePhoto(file: string | Buffer, raw?: { width: number; height: number }): Promise<tf.Tensor3D> {
  if (raw) return tf.tensor3d(new Int32Array(file as Buffer), [raw.height, raw.width, 3], 'int32')
  const { data, info } = await sharp(file).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return tf.tensor3d(new Int32Array(data), [info.height, info.width, 3], 'int32')
}
