// Enrolment in the browser with either detector: shared/face/enrol.ts, TensorFlow.js on WASM and
// face-api, as the Train page loads them, bundled with esbuild by bench/train.ts. The Train page
// itself always uses SSD (enrolDefaults); this page times the tiny detector beside it.
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import * as faceapi from '@vladmandic/face-api/dist/face-api.esm-nobundle.js'
import { enrolDefaults, enrolFace, type FaceRuntime } from '../../shared/face/enrol.js'
import type { Detector } from '../../shared/face/model.js'
import { pictureTensor } from '../../browser/picture.js'

export interface EnrolTiming {
  detector: Detector
  backend: string
  /** Per photo: decoding included, as the Train page does it (browser/picture.ts). */
  photos: { url: string; ms: number; ok: boolean }[]
}

async function enrol(runtime: FaceRuntime, url: string, detector: Detector): Promise<boolean> {
  const image = await pictureTensor(tf, url)
  try {
    return (await enrolFace(runtime, image, { ...enrolDefaults, detector })).ok
  } finally {
    image.dispose()
  }
}

async function runEnrolBench(urls: string[], detectors: Detector[]): Promise<EnrolTiming[]> {
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
  const timings: EnrolTiming[] = []
  for (const detector of detectors) {
    // The first photo on a detector pays for allocating its shapes: not counted.
    await enrol(runtime, urls[0]!, detector)
    const photos: EnrolTiming['photos'] = []
    for (const url of urls) {
      const started = performance.now()
      const ok = await enrol(runtime, url, detector)
      photos.push({ url, ms: performance.now() - started, ok })
    }
    timings.push({ detector, backend: tf.getBackend(), photos })
  }
  return timings
}

;(window as unknown as { runEnrolBench: typeof runEnrolBench }).runEnrolBench = runEnrolBench
