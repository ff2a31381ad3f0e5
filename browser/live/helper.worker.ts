// The helper: a second live worker for the work that can wait a few frames, so that the recognition
// worker's frames carry landmarks and little else. It runs the detections of the tracker's schedule
// (LiveTracker's detectElsewhere: a cut's or a lost face's stay in the recognition worker) and the
// routine checks of named faces (describeElsewhere). On two cores it runs beside that worker instead of
// after it. The page starts it; it answers on the port it is given, the recognition worker's end.
import { loadFaceRuntime } from '~/browser/face-runtime'
import type { FaceRuntime } from '~/shared/face/enroll'
import { describeFaceCrops, faceApiLiveOps } from '~/shared/face/live-ops'
import type { Box } from '~/shared/face/model'
import type { FaceCrop, HelperInit, HelperReply, HelperRequest } from './protocol'

interface WorkerScope {
  onmessage: ((event: MessageEvent<HelperInit>) => void) | null
}

/** The descriptor network's own input size: the warm-up crop. */
const warmUpSide = 150
/** The warm-up frame for the detector: the shape most cameras give by default. */
const warmUpFrame = { width: 640, height: 360 }

function describe(runtime: FaceRuntime, faces: readonly (FaceCrop | null)[]): Promise<(Float32Array | null)[]> {
  return describeFaceCrops(
    runtime,
    faces.map((face) => face && runtime.tf.browser.fromPixels(new ImageData(face.pixels, face.width, face.height))),
  )
}

/** The detector on a frame's RGBA pixels: the recognition worker's own LiveOps `detect`. */
async function detect(runtime: FaceRuntime, frame: ImageData): Promise<Box[]> {
  const image = runtime.tf.browser.fromPixels(frame)
  try {
    return await faceApiLiveOps(runtime).detect(image)
  } finally {
    image.dispose()
  }
}

async function answer(runtime: FaceRuntime, request: HelperRequest): Promise<HelperReply> {
  try {
    if (request.type === 'describe') return { type: 'described', id: request.id, descriptors: await describe(runtime, request.faces) }
    return { type: 'detected', id: request.id, boxes: await detect(runtime, new ImageData(request.pixels, request.width, request.height)) }
  } catch (err) {
    return { type: 'error', id: request.id, message: (err as Error).message }
  }
}

async function start({ modelsUrl, wasmUrl, backends, port }: HelperInit): Promise<void> {
  const reply = (message: HelperReply) => port.postMessage(message)
  let runtime: FaceRuntime
  try {
    ;({ runtime } = await loadFaceRuntime({ modelsUrl, wasmUrl, backends, nets: ['tinyFaceDetector', 'faceRecognitionNet'] }))
    // The first call of a network is the slow one: both run before the first frame comes.
    const { width, height } = warmUpFrame
    await detect(runtime, new ImageData(width, height))
    await describe(runtime, [{ width: warmUpSide, height: warmUpSide, pixels: new Uint8ClampedArray(warmUpSide * warmUpSide * 4) }])
  } catch (err) {
    reply({ type: 'failed', message: (err as Error).message })
    return
  }
  let queue = Promise.resolve()
  port.onmessage = ({ data }: MessageEvent<HelperRequest>) => {
    queue = queue.then(async () => reply(await answer(runtime, data)))
  }
  reply({ type: 'ready' })
}

const scope = self as unknown as WorkerScope
scope.onmessage = ({ data }) => {
  if (data.type === 'init') void start(data)
}
