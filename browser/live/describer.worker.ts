// The describer: a second worker that computes descriptors for the faces that can wait for them (a young
// face's votes, a named face's routine check: LiveTracker's describeElsewhere), so that the recognition
// worker's frames carry detection and landmarks only. On two cores it runs beside that worker instead of
// after it. The page starts it; it answers on the port it is given, the recognition worker's end.
import { loadFaceRuntime } from '~/browser/face-runtime'
import type { FaceRuntime } from '~/shared/face/enroll'
import { describeCrops } from '~/shared/face/live-ops'
import type { DescribeRequest, DescriberInit, DescriberReply, FaceCrop } from './protocol'

interface WorkerScope {
  onmessage: ((event: MessageEvent<DescriberInit>) => void) | null
}

/** The descriptor network's own input size: the warm-up crop. */
const warmUpSide = 150

async function describe(runtime: FaceRuntime, faces: readonly (FaceCrop | null)[]): Promise<(Float32Array | null)[]> {
  const { tf } = runtime
  const present = faces.flatMap((face, index) => (face ? [{ face, index }] : []))
  const crops = present.map(({ face }) => tf.browser.fromPixels(new ImageData(face.pixels, face.width, face.height)))
  try {
    const descriptors = await describeCrops(runtime, crops)
    const answer: (Float32Array | null)[] = faces.map(() => null)
    present.forEach(({ index }, position) => (answer[index] = descriptors[position]!))
    return answer
  } finally {
    for (const crop of crops) crop.dispose()
  }
}

async function start({ modelsUrl, wasmUrl, backends, port }: DescriberInit): Promise<void> {
  const reply = (message: DescriberReply) => port.postMessage(message)
  let runtime: FaceRuntime
  try {
    ;({ runtime } = await loadFaceRuntime({ modelsUrl, wasmUrl, backends, nets: ['faceRecognitionNet'] }))
    // The first call of a network is the slow one: it runs before the first face comes.
    const blank = new Uint8ClampedArray(warmUpSide * warmUpSide * 4)
    await describe(runtime, [{ width: warmUpSide, height: warmUpSide, pixels: blank }])
  } catch (err) {
    reply({ type: 'failed', message: (err as Error).message })
    return
  }
  let queue = Promise.resolve()
  port.onmessage = ({ data }: MessageEvent<DescribeRequest>) => {
    queue = queue.then(async () => {
      try {
        const descriptors = await describe(runtime, data.faces)
        reply({ type: 'described', id: data.id, descriptors })
      } catch (err) {
        reply({ type: 'error', id: data.id, message: (err as Error).message })
      }
    })
  }
  reply({ type: 'ready' })
}

const scope = self as unknown as WorkerScope
scope.onmessage = ({ data }) => {
  if (data.type === 'init') void start(data)
}
