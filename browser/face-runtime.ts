// TensorFlow.js, face-api and the networks asked for, on the first backend that really starts. The same
// loader serves the page (photos, training, and live recognition where no worker can run) and the live
// recognition worker, which has no DOM: face-api is told to make its canvases with OffscreenCanvas there.
import type { FaceRuntime } from '~/shared/face/enroll'

export type FaceNetName = 'tinyFaceDetector' | 'ssdMobilenetv1' | 'faceLandmark68Net' | 'faceRecognitionNet' | 'faceExpressionNet'

export interface FaceRuntimeOptions {
  modelsUrl: string
  wasmUrl: string
  /** Best first; see backendOrder in faceBackend.ts. */
  backends: readonly string[]
  nets: readonly FaceNetName[]
  onProgress?: (loaded: number) => void
}

type FaceApi = FaceRuntime['faceapi']

class NoMediaElement {}

/** face-api's environment in a worker: no DOM elements, canvases from OffscreenCanvas, the worker's fetch. */
function useWorkerEnvironment(faceapi: FaceApi): void {
  if (faceapi.env.isBrowser() || faceapi.env.isNodejs()) return
  const environment = {
    Canvas: OffscreenCanvas,
    CanvasRenderingContext2D: OffscreenCanvasRenderingContext2D,
    Image: NoMediaElement,
    ImageData,
    Video: NoMediaElement,
    createCanvasElement: () => new OffscreenCanvas(1, 1),
    createImageElement: () => {
      throw new Error('No image elements in a worker: pass tensors')
    },
    createVideoElement: () => {
      throw new Error('No video elements in a worker: pass tensors')
    },
    fetch: globalThis.fetch.bind(globalThis),
    readFile: () => {
      throw new Error('No file system in a worker')
    },
  }
  faceapi.env.setEnv(environment as unknown as Parameters<FaceApi['env']['setEnv']>[0])
}

async function chooseBackend(tf: FaceRuntime['tf'], wasmUrl: string, backends: readonly string[]): Promise<string> {
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm')
  setWasmPaths(wasmUrl)
  // The threaded build runs on half the cores: on two, one thread, after starting eight pthread workers,
  // which made the networks ready about 200 ms later than the single-threaded build (bench/RECOGNITION.md).
  if ((globalThis.navigator?.hardwareConcurrency ?? 1) <= 2) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false)
  for (const backend of backends) {
    // setBackend resolves false, rather than throwing, when for example the .wasm cannot be
    // fetched, and tfjs stays where it was: check what actually runs.
    if ((await tf.setBackend(backend).catch(() => false)) && tf.getBackend() === backend) break
  }
  await tf.ready()
  return tf.getBackend()
}

export async function loadFaceRuntime(options: FaceRuntimeOptions): Promise<{ runtime: FaceRuntime; backend: string }> {
  // face-api's own `tf` export is typed as a stub; this is the same TensorFlow.js instance.
  const [faceapi, tf] = await Promise.all([import('@vladmandic/face-api/dist/face-api.esm-nobundle.js'), import('@tensorflow/tfjs')])
  useWorkerEnvironment(faceapi)
  const backend = await chooseBackend(tf, options.wasmUrl, options.backends)
  let loaded = 0
  await Promise.all(
    options.nets.map(async (name) => {
      await faceapi.nets[name].loadFromUri(options.modelsUrl)
      options.onProgress?.(++loaded)
    }),
  )
  return { runtime: { faceapi, tf }, backend }
}
