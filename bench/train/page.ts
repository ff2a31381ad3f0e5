// Enrollment in the browser with either detector: shared/face/enroll.ts, TensorFlow.js on WASM and
// face-api, as the Train page loads them, bundled with esbuild by bench/train.ts. The Train page
// itself always uses SSD (enrollDefaults); this page times the tiny detector beside it.
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import * as faceapi from '@vladmandic/face-api/dist/face-api.esm-nobundle.js'
import { enrollDefaults, enrollFace, type FaceRuntime } from '../../shared/face/enroll.js'
import type { Detector } from '../../shared/face/model.js'
import { pictureTensor } from '../../browser/picture.js'

export interface EnrollTiming {
  detector: Detector
  backend: string
  /** Per photo: decoding included, as the Train page does it (browser/picture.ts). */
  photos: { url: string; ms: number; ok: boolean }[]
}

async function enroll(runtime: FaceRuntime, url: string, detector: Detector): Promise<boolean> {
  const image = await pictureTensor(tf, url)
  try {
    return (await enrollFace(runtime, image, { ...enrollDefaults, detector })).ok
  } finally {
    image.dispose()
  }
}

async function runEnrollBench(urls: string[], detectors: Detector[]): Promise<EnrollTiming[]> {
  setWasmPaths('/wasm/')
  await tf.setBackend('wasm')
  await tf.ready()
  await Promise.all([
    faceapi.nets.ssdMobilenetv1.loadFromUri('/models'),
    faceapi.nets.tinyFaceDetector.loadFromUri('/models'),
    faceapi.nets.faceLandmark68Net.loadFromUri('/models'),
    faceapi.nets.faceRecognitionNet.loadFromUri('/models'),
  ])
  const runtime = { faceapi, tf } as unknown as FaceRuntime
  const timings: EnrollTiming[] = []
  for (const detector of detectors) {
    // The first photo on a detector pays for allocating its shapes: not counted.
    await enroll(runtime, urls[0]!, detector)
    const photos: EnrollTiming['photos'] = []
    for (const url of urls) {
      const started = performance.now()
      const ok = await enroll(runtime, url, detector)
      photos.push({ url, ms: performance.now() - started, ok })
    }
    timings.push({ detector, backend: tf.getBackend(), photos })
  }
  return timings
}

;(window as unknown as { runEnrollBench: typeof runEnrollBench }).runEnrollBench = runEnrollBench
