// Live recognition off the main thread: the page posts a bitmap of each video frame, this worker runs the
// networks, draws the boxes and names on the canvas the page handed over, and answers with who is where.
import { loadFaceRuntime } from '~/browser/face-runtime'
import { warmUpLiveOps } from '~/shared/face/live-ops'
import { HelperClient } from './helper-client'
import { LiveRecognizer } from './recognizer'
import type { WorkerReply, WorkerRequest } from './protocol'

/** The parts of DedicatedWorkerGlobalScope used here (the DOM and webworker type libraries clash). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null
  postMessage(message: WorkerReply): void
}

const scope = self as unknown as WorkerScope
let recognizer: LiveRecognizer | null = null
let helper: HelperClient | null = null
let canvas: OffscreenCanvas | null = null
let reader: OffscreenCanvasRenderingContext2D | null = null

/**
 * The frame's pixels. TensorFlow.js would read a bitmap through an OffscreenCanvas made without
 * `willReadFrequently`, which here cost 17 ms a frame of reading back from the GPU; one kept for reading costs little.
 */
function framePixels(bitmap: ImageBitmap): ImageData {
  reader ??= new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d', { willReadFrequently: true })
  if (!reader) throw new Error('This browser cannot read pixels in a worker')
  if (reader.canvas.width !== bitmap.width || reader.canvas.height !== bitmap.height) {
    reader.canvas.width = bitmap.width
    reader.canvas.height = bitmap.height
  }
  reader.drawImage(bitmap, 0, 0)
  return reader.getImageData(0, 0, bitmap.width, bitmap.height)
}

async function handle(request: WorkerRequest): Promise<WorkerReply | null> {
  switch (request.type) {
    case 'init': {
      try {
        const { nets } = request
        const { runtime, backend } = await loadFaceRuntime({
          ...request,
          onProgress: (loaded) => scope.postMessage({ type: 'progress', loaded, total: nets.length }),
        })
        await warmUpLiveOps(runtime)
        recognizer = new LiveRecognizer(runtime, request.modelsUrl, true)
        recognizer.helper = helper
        return { type: 'ready', backend }
      } catch (err) {
        return { type: 'failed', message: (err as Error).message }
      }
    }
    case 'helper':
      helper?.close()
      helper = new HelperClient(request.port)
      if (recognizer) recognizer.helper = helper
      return null
    case 'canvas':
      canvas = request.canvas
      return null
    case 'gallery':
      if (recognizer) recognizer.gallery = request.gallery
      return null
    case 'reset':
      recognizer?.reset()
      canvas?.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height)
      return null
    case 'frame': {
      const { bitmap, settings } = request
      try {
        if (!recognizer || !canvas) throw new Error('The recognition worker is not ready')
        return { type: 'frame', frame: await recognizer.process({ bitmap, pixels: framePixels(bitmap) }, canvas, settings) }
      } catch (err) {
        return { type: 'error', message: (err as Error).message }
      } finally {
        bitmap.close()
      }
    }
  }
}

let queue = Promise.resolve()
scope.onmessage = ({ data }) => {
  queue = queue.then(async () => {
    const reply = await handle(data)
    if (reply) scope.postMessage(reply)
    // What the frame left for after its answer, before the next request.
    await recognizer?.afterFrame()
  })
}
