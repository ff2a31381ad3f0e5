// Where live recognition runs. In a worker where the browser can hand it a canvas (OffscreenCanvas): the
// networks' 100 ms a frame then leave the page's thread free to paint the video and answer the user.
// Elsewhere, or if the worker cannot start, in the page itself, with the same per-frame code.
import type { FaceRuntime } from '~/shared/face/enroll'
import { LiveRecognizer, type LiveFrame, type LiveGallery, type LiveSettings } from './recognizer'
import type { HelperInit, WorkerReply, WorkerRequest } from './protocol'
import type { FaceNetName } from '../face-runtime'

export interface LiveEngine {
  /** Where the networks run. */
  readonly where: 'worker' | 'page'
  /** The TensorFlow.js backend they run on. */
  readonly backend: string
  setGallery(gallery: LiveGallery | null): void
  /** Recognizes the video's current frame and draws it on the engine's canvas. One call at a time. */
  process(video: HTMLVideoElement, settings: LiveSettings): Promise<LiveFrame>
  /** Forgets the tracked faces and clears the canvas. */
  reset(): void
  dispose(): void
}

export interface WorkerEngineOptions {
  modelsUrl: string
  wasmUrl: string
  backends: string[]
  onProgress?: (loaded: number, total: number) => void
}

/** Live video needs no SSD MobileNet (it uses the tiny detector), and the expression network loads when Expressions is switched on. */
const liveNets: FaceNetName[] = ['tinyFaceDetector', 'faceLandmark68Net', 'faceRecognitionNet']

export function canRunInWorker(): boolean {
  return (
    typeof Worker === 'function' &&
    typeof OffscreenCanvas === 'function' &&
    typeof createImageBitmap === 'function' &&
    'transferControlToOffscreen' in HTMLCanvasElement.prototype
  )
}

/**
 * How long after the first live frame the helper starts. Loading its networks beside the first frames
 * made the first name come about 100 ms later on two cores (bench:first-frame); until it is ready the
 * recognition worker does all the work itself, as on one core.
 */
const helperDelayMs = 1000

/**
 * Starts the helper (helper.worker.ts) and connects it to the recognition worker. The recognition
 * worker detects and describes every face itself until the helper says it is ready, and again if it fails.
 */
function startHelper(post: (request: WorkerRequest, transfer: Transferable[]) => void, options: WorkerEngineOptions): Worker {
  const helper = new Worker(new URL('./helper.worker.ts', import.meta.url), { type: 'module', name: 'facer-helper' })
  const channel = new MessageChannel()
  const { modelsUrl, wasmUrl, backends } = options
  const init: HelperInit = { type: 'init', modelsUrl, wasmUrl, backends, port: channel.port1 }
  helper.postMessage(init, [channel.port1])
  post({ type: 'helper', port: channel.port2 }, [channel.port2])
  return helper
}

/**
 * Starts the worker, loads and warms up its networks, then hands it `canvas`; the helper starts
 * helperDelayMs into live video. Rejects, with the canvas still the page's, when the worker cannot load the networks.
 */
export function startWorkerEngine(canvas: HTMLCanvasElement, options: WorkerEngineOptions): Promise<LiveEngine> {
  const worker = new Worker(new URL('./recognition.worker.ts', import.meta.url), { type: 'module', name: 'facer-recognition' })
  let helper: Worker | null = null
  /** Whether the helper is still to start: once, on two cores or more (on one it would only take turns with the recognition worker). */
  let helperDue = (navigator.hardwareConcurrency ?? 1) >= 2
  let firstFrameAt: number | null = null
  const post = (request: WorkerRequest, transfer: Transferable[] = []) => worker.postMessage(request, transfer)
  // The worker answers frames in the order they were posted.
  const pending: { resolve: (frame: LiveFrame) => void; reject: (err: Error) => void }[] = []
  const settle = (outcome: LiveFrame | Error) => {
    const waiting = pending.shift()
    if (outcome instanceof Error) waiting?.reject(outcome)
    else waiting?.resolve(outcome)
  }
  const settleAll = (err: Error) => {
    while (pending.length) settle(err)
  }

  return new Promise((resolve, reject) => {
    const engine = (backend: string): LiveEngine => ({
      where: 'worker',
      backend,
      setGallery: (gallery) => post({ type: 'gallery', gallery }),
      async process(video, settings) {
        firstFrameAt ??= performance.now()
        if (helperDue && performance.now() - firstFrameAt >= helperDelayMs) {
          helperDue = false
          helper = startHelper(post, options)
        }
        const bitmap = await createImageBitmap(video)
        return new Promise<LiveFrame>((resolveFrame, rejectFrame) => {
          pending.push({ resolve: resolveFrame, reject: rejectFrame })
          post({ type: 'frame', bitmap, settings }, [bitmap])
        })
      },
      reset: () => post({ type: 'reset' }),
      dispose() {
        worker.terminate()
        helper?.terminate()
        settleAll(new Error('Live recognition was stopped'))
      },
    })
    worker.onmessage = ({ data }: MessageEvent<WorkerReply>) => {
      switch (data.type) {
        case 'progress':
          options.onProgress?.(data.loaded, data.total)
          break
        case 'ready': {
          const offscreen = canvas.transferControlToOffscreen()
          post({ type: 'canvas', canvas: offscreen }, [offscreen])
          resolve(engine(data.backend))
          break
        }
        case 'failed':
          worker.terminate()
          reject(new Error(data.message))
          break
        case 'frame':
          settle(data.frame)
          break
        case 'error':
          settle(new Error(data.message))
          break
      }
    }
    worker.onerror = (event) => {
      const error = new Error(`The recognition worker failed: ${event.message || 'it could not start'}`)
      worker.terminate()
      reject(error)
      settleAll(error)
    }
    const { modelsUrl, wasmUrl, backends } = options
    post({ type: 'init', modelsUrl, wasmUrl, backends, nets: liveNets })
  })
}

/** Live recognition on the page's own thread, with the page's runtime. */
export function createPageEngine(runtime: FaceRuntime, canvas: HTMLCanvasElement, gallery: LiveGallery | null, modelsUrl: string): LiveEngine {
  const recognizer = new LiveRecognizer(runtime, modelsUrl)
  recognizer.gallery = gallery
  return {
    where: 'page',
    backend: runtime.tf.getBackend(),
    setGallery(next) {
      recognizer.gallery = next
    },
    async process(video, settings) {
      const bitmap = await createImageBitmap(video)
      try {
        return await recognizer.process({ bitmap }, canvas, settings)
      } finally {
        bitmap.close()
      }
    },
    reset() {
      recognizer.reset()
      canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height)
    },
    dispose() {},
  }
}
